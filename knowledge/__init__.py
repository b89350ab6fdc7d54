"""What the city says: service cards, life situations, offices and hours, and search over them."""

from knowledge.loader import Knowledge, KnowledgeError, load_knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]

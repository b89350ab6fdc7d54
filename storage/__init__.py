"""SQLAlchemy 2 models, repositories, unit of work, migrations."""

# The booking models live in storage/booking.py on the same Base: imported here, so that Base.metadata (alembic's
# target, the schema checks) has them wherever storage.models is used.
from storage import booking as booking

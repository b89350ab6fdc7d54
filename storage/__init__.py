"""SQLAlchemy 2 models, repositories, unit of work, migrations."""

# The booking, outbox, reminder, ticket and transfer models live in their own modules on the same Base: imported
# here, so that Base.metadata (alembic's target, the schema checks) has them wherever storage.models is used.
from storage import audit as audit
from storage import booking as booking
from storage import codes as codes
from storage import handoff as handoff
from storage import outbox as outbox
from storage import people as people
from storage import reminders as reminders
from storage import transfer as transfer

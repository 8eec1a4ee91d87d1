from identity.models import Base
from svclib.migrations import run_env

run_env(Base.metadata, "identity")

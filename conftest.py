import os
import warnings

warnings.filterwarnings("ignore", message="\\nEventlet is deprecated")
# nameko's container tests hang in amqp's transport unless eventlet patches first.
import eventlet

eventlet.monkey_patch()

# The suites write fast through a few accounts; the tests of the spam defences turn them on
# (SPAM_DEFENCES=on: content's handlers/spam.py, communities' subwikis a day). Set before any stack
# starts: its processes inherit it.
os.environ.setdefault("SPAM_DEFENCES", "off")

pytest_plugins = ["devstack.fixtures"]

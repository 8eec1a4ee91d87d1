import warnings

warnings.filterwarnings("ignore", message="\\nEventlet is deprecated")
# nameko's container tests hang in amqp's transport unless eventlet patches first.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["devstack.fixtures"]

"""Names vulture (``make lint``) would call unused: each is read by something it cannot see."""

# Tables registered on a service's metadata for migrations and the outbox's relay, never named again.
PROCESSED_EVENTS

# Columns kept for the record (who removed, decided or paid, and when): written here, read by
# marshmallow schemas by name or only in the database.
_.body_html
_.removed_by
_.deleted_by
_.decided_by
_.created_by
_.paid_at
_.body_excerpt

# psycopg's connection and cursor settings, an exception's cause, a dependency kept for its start-up check.
_.autocommit
_.itersize
_.__cause__
_.provider_settings

# Locust tasks named in bench/load_visit.py's table of weights.
_.profile
_.new_post
_.wiki_edit

# Settings read by the libraries they are given to: requests' Session.trust_env, the Flask class's
# jinja_environment (the site's Jinja environment class).
_.trust_env
jinja_environment

# Flask's session interface methods, called by Flask for the site's signed cookies (web.app.SessionCookies).
_.open_session
_.should_set_cookie

# Hooks read by name by the frameworks that call them: gunicorn's server hooks and settings
# (svclib.httpmetrics, svclib.logs; for the site, web.observability, called from web/gunicorn.conf.py,
# which vulture does not read), Flask's teardown, socketserver's daemon_threads, schemathesis' hooks.
ensure_multiprocess_dir
on_starting
when_ready
child_exit
gunicorn_config
gunicorn_logger_class
LogLines
gunicorn_logging
gunicorn_logger
ensure_metrics_dir
clear_metrics_dir
serve_metrics
forget_worker
_._compute_access_log_enabled
_end
_.daemon_threads
before_call

# A nameko dependency declared on a service for what it does at each worker (logging faults), never read.
faults

# html.parser.HTMLParser calls these on a subclass (the tests read pages with it).
_.handle_endtag
_.handle_data
json_provider_class  # Flask builds app.json from it (gateway.app.Gateway)

# svclib.db.driver reads it by name (SAME_ON_DRIVER) on a column's type.
_.same_on_driver

"""What a killed run made (vhosts, databases) is dropped by the next `make servers`; what a live run
made, or another host's, is kept."""

import subprocess
import sys
import urllib.parse
import uuid

from devstack import infra


def ended_process_label() -> str:
    """The label a process would have put on what it made, once that process has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "from devstack.infra import owner_label; print(owner_label())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def labelled_vhost(broker, label: str) -> str:
    name = f"test-abandoned-{uuid.uuid4().hex[:8]}"
    path = f"vhosts/{urllib.parse.quote(name, safe='')}"
    broker._api("PUT", path, json={"description": label}).raise_for_status()
    return name


def labelled_database(postgres, label: str) -> str:
    name = f"t_abandoned_{uuid.uuid4().hex[:8]}"
    postgres._execute(f'CREATE DATABASE "{name}"')
    postgres._execute(f"COMMENT ON DATABASE \"{name}\" IS '{label}'")
    return name


def vhosts(broker) -> set[str]:
    return {v["name"] for v in broker._api("GET", "vhosts").json()}


def test_a_vhost_whose_maker_ended_is_dropped_and_a_live_makers_kept(broker):
    ended = ended_process_label()
    elsewhere = ended.replace("host=", "host=another-", 1)
    abandoned, foreign = labelled_vhost(broker, ended), labelled_vhost(broker, elsewhere)
    live = broker.create_vhost()  # made by this process, which is running
    try:
        dropped = broker.drop_abandoned()
        assert abandoned in dropped
        assert live not in dropped and foreign not in dropped
        assert abandoned not in vhosts(broker) and {live, foreign} <= vhosts(broker)
    finally:
        for name in (abandoned, foreign, live):
            broker.delete_vhost(name)


def test_a_database_whose_maker_ended_is_dropped_and_a_live_makers_kept(postgres):
    ended = ended_process_label()
    abandoned, unlabelled = labelled_database(postgres, ended), f"t_unlabelled_{uuid.uuid4().hex[:8]}"
    postgres._execute(f'CREATE DATABASE "{unlabelled}"')
    live = f"t_live_{uuid.uuid4().hex[:8]}"
    postgres.create(live)
    try:
        dropped = postgres.drop_abandoned()
        assert abandoned in dropped
        assert live not in dropped and unlabelled not in dropped
        assert not postgres.exists(abandoned) and postgres.exists(live) and postgres.exists(unlabelled)
    finally:
        for name in (abandoned, unlabelled, live):
            postgres.drop(name)


def test_a_label_names_this_process_and_survives_a_reused_pid():
    label = infra.owner_label()
    assert not infra.owner_gone(label)
    assert infra.owner_gone(label.rsplit("started=", 1)[0] + "started=1")  # same pid, another process
    assert not infra.owner_gone("made by hand")

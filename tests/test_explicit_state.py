"""No hidden state: a function that describes remembers nothing, a frozen site spec holds no
mutable cache, and what fills the masking set is named where a secret enters hagen."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import EXAMPLES


@pytest.fixture
def clean_masking():
    from hagen.base.masking import forget_all

    forget_all()
    yield
    forget_all()


def test_describing_a_dsn_remembers_nothing(clean_masking):
    from hagen.base.masking import remembered
    from hagen.load.dsn import as_written_without_password, describe, has_password, shown

    dsn = "postgresql://hagen:s3cr%21t@db.example:5433/clusterdb"
    assert describe(dsn) == "database clusterdb on db.example:5433"
    assert "s3cr" not in shown(dsn)
    assert has_password(dsn) and "s3cr" not in as_written_without_password(dsn)[0]
    assert remembered() == []


def test_choosing_a_dsn_is_what_remembers_its_passwords(clean_masking):
    from hagen.base.masking import mask, remembered
    from hagen.load.source import choose_source

    source = choose_source("postgresql://hagen:s3cr%21t@db.example/clusterdb", None)
    assert source.display == "database clusterdb on db.example:5432"
    assert set(remembered()) == {"s3cr%21t", "s3cr!t"}
    assert mask("libpq said: password s3cr!t refused") == "libpq said: password ******** refused"


def test_a_site_spec_is_frozen_and_its_secrets_come_with_a_new_spec():
    from hagen.load.secrets import fence_secret, read_secrets
    from hagen.load.site import load_site

    site = load_site(EXAMPLES / "bas5-guide" / "site.yaml")
    assert dict(site.secrets) == {}
    read = read_secrets(site)
    assert read is not site and dict(site.secrets) == {}         # the spec loaded is left as it was
    secret, reports = read.secrets["management"]
    assert secret is not None and secret.reveal() and fence_secret(read)[0] is secret
    with pytest.raises(TypeError):
        read.secrets["management"] = (None, ())                   # read-only: no cache to fill behind its back
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.secrets = {}
    # a spec whose secrets were not read reads them when asked, and keeps nothing
    assert fence_secret(site)[0] == secret and dict(site.secrets) == {}
    # a spec made from it with other data (the Lustre management policy) keeps what was read
    assert dataclasses.replace(read, data=dict(read.data)).secrets is read.secrets

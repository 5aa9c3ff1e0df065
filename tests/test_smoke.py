from django.core.management import call_command


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_platform_key_is_stored_hashed(platform):
    assert platform.plain_api_key not in platform.api_key_hash
    assert len(platform.api_key_hash) == 64

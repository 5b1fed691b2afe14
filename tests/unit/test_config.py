from __future__ import annotations

import pytest

from loyalty_server.config import Settings, load_settings
from loyalty_server.errors import ConfigError


def test_defaults_need_nothing() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.grpc_address == "127.0.0.1:50051"
    assert settings.http_address == "127.0.0.1:8080"
    assert settings.resolved_database_url == "sqlite:///data/loyalty.db"
    assert settings.resolved_program.name == "demo.toml"


def test_layers_file_then_env_then_flags(tmp_path) -> None:
    config = tmp_path / "loyalty.toml"
    config.write_text(
        'grpc_address = "127.0.0.1:1111"\nhttp_address = "127.0.0.1:2222"\ndata_dir = "file-dir"\n'
    )
    settings = load_settings(
        config_file=str(config),
        environ={"LOYALTY_HTTP_ADDRESS": "127.0.0.1:3333", "LOYALTY_GATEWAY": "false"},
        overrides={"data_dir": "flag-dir", "grpc_address": None},
    )
    assert settings.grpc_address == "127.0.0.1:1111"  # file
    assert settings.http_address == "127.0.0.1:3333"  # env beats file
    assert settings.data_dir == "flag-dir"  # flag beats file
    assert settings.gateway is False


def test_config_file_from_environment(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("shutdown_grace_s = 2.5\n")
    assert load_settings(environ={"LOYALTY_CONFIG": str(config)}).shutdown_grace_s == 2.5


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LOYALTY_GRPC_ADDRESS": "nonsense"}, "grpc_address: expected HOST:PORT"),
        ({"LOYALTY_GRPC_ADDRESS": "127.0.0.1:99999"}, "grpc_address: expected HOST:PORT"),
        ({"LOYALTY_DB_POOL_SIZE": "many"}, "LOYALTY_DB_POOL_SIZE: expected int"),
        ({"LOYALTY_DB_POOL_SIZE": "0"}, "db_pool_size: must be positive"),
        ({"LOYALTY_GATEWAY": "perhaps"}, "LOYALTY_GATEWAY: expected bool"),
        ({"LOYALTY_TLS_CERT_FILE": "cert.pem"}, "tls_cert_file and tls_key_file go together"),
        ({"LOYALTY_TLS_CLIENT_CA_FILE": "ca.pem"}, "mutual TLS"),
    ],
)
def test_bad_settings_say_which_and_why(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_unknown_key_in_config_file(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('grpc_adress = "127.0.0.1:1"\n')
    with pytest.raises(ConfigError, match="unknown setting 'grpc_adress'"):
        load_settings(config_file=str(config), environ={})


def test_missing_config_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=str(tmp_path / "nope.toml"), environ={})

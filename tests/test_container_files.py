"""The container files agree with the code: compose.yaml, the Dockerfile, .dockerignore and the scripts.

The stack itself runs in scripts/compose-smoke.sh (podman); these checks need no container engine, except
`docker-compose config`, which runs where docker-compose is installed.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import SERVICES, build_parser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
APP_SERVICES = ["migrate-orgs", "migrate-dialogue", "orgs", "dialogue", "worker", "gateway", "demo"]
# Which settings class reads each service's environment and secrets.
SETTINGS_OF = {"migrate-orgs": ["orgs"], "orgs": ["orgs"], "migrate-dialogue": ["dialogue"], "dialogue": ["dialogue"],
               "worker": ["dialogue"], "gateway": ["gateway"], "demo": ["orgs", "dialogue"]}


def service(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = COMPOSE["services"][name]
    return spec


def settings_class(name: str) -> Any:
    if name == "orgs":
        from services.orgs.settings import OrgsSettings
        return OrgsSettings
    if name == "dialogue":
        from services.dialogue.settings import DialogueSettings
        return DialogueSettings
    from services.gateway.settings import GatewaySettings
    return GatewaySettings


def secret_targets(spec: dict[str, Any]) -> dict[str, str]:
    """target file name → compose secret, for a service's `secrets:`."""
    out = {}
    for entry in spec.get("secrets", []):
        if isinstance(entry, str):
            out[entry] = entry
        else:
            out[entry.get("target", entry["source"])] = entry["source"]
    return out


class TestCompose:
    @pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
    def test_docker_compose_reads_the_file(self, tmp_path: Path) -> None:
        result = subprocess.run(["docker-compose", "-f", str(ROOT / "compose.yaml"), "--profile", "demo", "config"],
                                capture_output=True, text=True, check=False,
                                env={"PATH": "/usr/bin:/bin", "ASHYQ_SECRETS": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        resolved = yaml.safe_load(result.stdout)
        assert set(resolved["services"]) == {"postgres", *APP_SERVICES}
        assert resolved["services"]["orgs"]["depends_on"]["migrate-orgs"]["condition"] == \
            "service_completed_successfully"

    @pytest.mark.parametrize("name", APP_SERVICES)
    def test_every_command_is_an_ashyq_command(self, name: str) -> None:
        command = service(name)["command"]
        assert command[0] == "ashyq"
        build_parser().parse_args(command[1:])  # exits on anything the real command would refuse

    def test_migrations_run_once_before_their_service(self) -> None:
        for db in ("orgs", "dialogue"):
            job = service(f"migrate-{db}")
            assert job["command"] == ["ashyq", "migrate", db] and job["restart"] == "no"
            assert job["depends_on"]["postgres"]["condition"] == "service_healthy"
            assert service(db)["depends_on"][f"migrate-{db}"]["condition"] == "service_completed_successfully"
        assert service("worker")["depends_on"]["migrate-dialogue"]["condition"] == "service_completed_successfully"
        assert {dep: c["condition"] for dep, c in service("gateway")["depends_on"].items()} == {
            "orgs": "service_healthy", "dialogue": "service_healthy"}

    @pytest.mark.parametrize("name", ["orgs", "dialogue", "gateway", "worker"])
    def test_long_running_services_restart_and_report_readiness(self, name: str) -> None:
        spec = service(name)
        assert spec["restart"] == "unless-stopped"
        test = spec["healthcheck"]["test"]
        assert test[0] == "CMD"
        # podman 4.3's Docker-compatible API splits a healthcheck's arguments at spaces.
        assert not [arg for arg in test if " " in arg]
        url = re.search(r"https?://([\w.]+):(\d+)/readyz", " ".join(test))
        assert url, test
        port = SERVICES["dialogue" if name == "worker" else name]["port"]
        assert int(url[2]) == port

    def test_only_the_gateway_is_published(self) -> None:
        published = {name for name, spec in COMPOSE["services"].items() if spec.get("ports")}
        assert published == {"gateway"}
        assert service("gateway")["ports"] == ["${ASHYQ_HTTP_PORT:-8000}:8000"]

    @pytest.mark.parametrize("name", APP_SERVICES)
    def test_production_settings_and_no_secret_in_variables(self, name: str) -> None:
        environment = service(name)["environment"]
        assert environment["ASHYQ_SECRETS_DIR"] == "/run/secrets"
        for prefix in SETTINGS_OF[name]:
            assert environment[f"{prefix.upper()}_ENVIRONMENT"] == "production"
        leaked = [k for k in environment if re.search(r"SECRET$|PASSWORD|DATABASE_URL|TOKEN", k)
                  and k != "ASHYQ_SECRETS_DIR"]
        assert leaked == [], "secrets come from files, never from variables"

    @pytest.mark.parametrize("name", APP_SERVICES)
    def test_the_secret_files_are_the_ones_the_settings_read(self, name: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """Each mounted secret, under its target name, fills the settings the service starts with — so
        environment=production does not refuse them as the development defaults."""
        for target in secret_targets(service(name)):
            (tmp_path / target).write_text(f"value-of-{target}-0123456789" if "url" not in target
                                           else f"postgresql://{target}:pw@postgres:5432/{target}")
        for key, value in service(name)["environment"].items():
            if "${" not in str(value):
                monkeypatch.setenv(key, str(value))
        for prefix in SETTINGS_OF[name]:
            cls = settings_class(prefix)
            monkeypatch.setitem(cls.model_config, "secrets_dir", str(tmp_path))
            settings = cls()
            assert settings.environment == "production"
            assert settings.service_secret.get_secret_value() == f"value-of-{prefix}_service_secret-0123456789"
            if prefix != "gateway":
                assert settings.database_url.startswith(f"postgresql://{prefix}_database_url:")
            else:
                assert settings.session_secret.get_secret_value().startswith("value-of-gateway_session_secret")
                assert str(settings.web_dir) == "/app/web"

    def test_every_service_shares_one_service_secret(self) -> None:
        sources = {secret_targets(service(name)).get(f"{prefix}_service_secret")
                   for name in APP_SERVICES for prefix in SETTINGS_OF[name]}
        assert sources == {"service_secret"}

    def test_make_secrets_writes_every_secret_the_file_names(self, tmp_path: Path) -> None:
        folder = tmp_path / "secrets"
        subprocess.run(["sh", str(ROOT / "compose/make-secrets.sh"), str(folder)], check=True, capture_output=True)
        files = {p.name for p in folder.iterdir()}
        named = {Path(spec["file"].replace("${ASHYQ_SECRETS:-./secrets}/", "")).name
                 for spec in COMPOSE["secrets"].values()}
        assert files == named
        for db in ("orgs", "dialogue"):
            password = (folder / f"{db}_db_password").read_text()
            assert len(password) >= 32
            assert (folder / f"{db}_database_url").read_text() == f"postgresql://{db}:{password}@postgres:5432/{db}"
        assert folder.stat().st_mode & 0o777 == 0o700
        before = (folder / "service_secret").read_text()
        subprocess.run(["sh", str(ROOT / "compose/make-secrets.sh"), str(folder)], check=True, capture_output=True)
        assert (folder / "service_secret").read_text() == before  # a second run keeps what exists

    def test_the_env_example_names_every_variable_the_file_reads(self) -> None:
        used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
        example = set(re.findall(r"^([A-Z_]+)=", (ROOT / "compose/env.example").read_text(), re.MULTILINE))
        assert used == example

    def test_postgres_creates_one_database_per_service(self) -> None:
        postgres = service("postgres")
        assert "./compose/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
        assert set(secret_targets(postgres)) == {"postgres_password", "orgs_db_password", "dialogue_db_password"}
        script = (ROOT / "compose/postgres-init/10-databases.sh").read_text()
        assert re.findall(r"^create (\w+)$", script, re.MULTILINE) == ["orgs", "dialogue"]
        assert "LC_CTYPE 'C.UTF-8'" in script  # Cyrillic case-folding whatever the server's locale (FIELD-NOTES)


class TestDockerfile:
    def test_the_base_image_is_a_build_argument(self) -> None:
        assert DOCKERFILE.index("ARG BASE_IMAGE=python:3.11-slim-bookworm") < DOCKERFILE.index("FROM ")
        assert "FROM ${BASE_IMAGE} AS runtime" in DOCKERFILE

    def test_htmx_comes_from_npm_as_the_lock_file_pins_it(self) -> None:
        assert re.search(r"npm ci --prefix /web", DOCKERFILE)
        assert "COPY --from=context /src/web/package.json /src/web/package-lock.json /web/" in DOCKERFILE
        assert "COPY --from=web /web/node_modules /app/web/node_modules" in DOCKERFILE

    def test_python_packages_come_only_from_the_wheelhouse(self) -> None:
        installs = re.findall(r"pip install[^\n]*", DOCKERFILE)
        assert installs and all("--no-index" in line for line in installs)

    def test_it_runs_as_a_user_without_privileges(self) -> None:
        users = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
        assert users and users[-1] not in ("root", "0")
        assert re.search(r'^CMD \["ashyq", ', DOCKERFILE, re.MULTILINE)

    def test_what_the_image_copies_is_in_the_build_context(self) -> None:
        ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                   if line.strip() and not line.startswith("#")]

        def excluded(path: str) -> bool:
            out = False
            for pattern in ignored:
                negate = pattern.startswith("!")
                bare = pattern.lstrip("!").rstrip("/")
                if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(path, bare + "/*") or path.startswith(bare + "/"):
                    out = not negate
            return out

        copied = re.findall(r"COPY --from=context ((?:/src/\S+ )+)", DOCKERFILE)
        paths = [p.removeprefix("/src/").rstrip("/") for group in copied for p in group.split()]
        assert "services" in paths and "migrations" in paths and "alembic.ini" in paths
        for path in paths:
            if path.startswith("build/offline"):
                continue  # the offline bundle: made by scripts/build-image.sh, empty folders otherwise
            assert (ROOT / path).exists(), path
            assert not excluded(path), f"{path} is copied but .dockerignore leaves it out"
        for path in (".venv", ".git", "data", "web/node_modules", "build/wheel-venv"):
            assert excluded(path), path
        assert not excluded("build/offline/wheels")


class TestScripts:
    @pytest.mark.parametrize("script", ["scripts/build-image.sh", "scripts/compose-smoke.sh",
                                        "scripts/podman-limits.sh", "compose/make-secrets.sh",
                                        "compose/postgres-init/10-databases.sh", "compose/postgres/entrypoint.sh"])
    def test_shell_scripts_parse(self, script: str) -> None:
        shell = "bash" if (ROOT / script).read_text().startswith("#!/usr/bin/env bash") else "sh"
        result = subprocess.run([shell, "-n", str(ROOT / script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr

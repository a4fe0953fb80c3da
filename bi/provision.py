"""Provision Superset (run with the BI virtualenv's Python): its metadata database, an admin user, and the
dashboards of bi/assets/ pointed at the serving file, opened read-only.

    .venv-bi/bin/python bi/provision.py [--serving PATH]

The first run creates the admin user `admin` with a generated password, prints it once and keeps it (mode 0600)
in BI_HOME/admin_password for the browser test. Later runs re-import every asset, overwriting what the bundle
defines, so the dashboards always match the YAML in the repository.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import yaml

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "bi" / "assets"
ADMIN = "admin"


def superset_env() -> dict[str, str]:
    """The environment every Superset command of this project runs with."""
    home = Path(os.environ.get("BI_HOME", REPO / ".bi_home")).resolve()
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(REPO / "bi" / "superset_config.py"), "BI_HOME": str(home),
            "FLASK_APP": "superset.app:create_app()", "SUPERSET_LOG_LEVEL": "warning"}


def serving_uri(serving: Path) -> str:
    """The SQLAlchemy URI of the serving file, read-only so a publish is never blocked by Superset."""
    return f"duckdb:///{quote(str(serving.absolute()))}?access_mode=read_only"


def bundle_contents(serving: Path, assets: Path = ASSETS) -> dict[str, str]:
    """The asset bundle as Superset's importer takes it (path -> YAML), with the database at `serving`."""
    contents: dict[str, str] = {}
    for path in sorted(assets.rglob("*.yaml")):
        relative = path.relative_to(assets).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative.startswith("databases/"):
            document = yaml.safe_load(text)
            document["sqlalchemy_uri"] = serving_uri(serving)
            text = yaml.safe_dump(document, sort_keys=True)
        if relative == "metadata.yaml":
            document = yaml.safe_load(text)
            document["type"] = "assets"  # one import of every kind, overwriting what exists
            text = yaml.safe_dump(document, sort_keys=True)
        contents[relative] = text
    return contents


def superset(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "superset"), *args]
    result = subprocess.run(command, env=superset_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: `superset {' '.join(args)}` failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def ensure_admin(home: Path) -> None:
    """Create the admin user with a generated password the first time, print it once and keep it for the tests."""
    password_file = home / "admin_password"
    if password_file.exists():
        print(f"Superset admin: user '{ADMIN}', password in {password_file} (printed when it was created)")
        return
    password = secrets.token_urlsafe(18)
    superset("fab", "create-admin", "--username", ADMIN, "--firstname", "Warehouse", "--lastname", "Admin",
             "--email", "admin@localhost", "--password", password)
    password_file.touch(mode=0o600)
    password_file.write_text(password + "\n")
    print(f"Superset admin created: user '{ADMIN}', password {password}  (shown once; kept in {password_file})")


def import_assets(serving: Path) -> None:
    """Import bi/assets inside the Superset app, as the admin user."""
    os.environ.update(superset_env())
    from flask import g  # imported here: the environment above configures Superset
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand

        g.user = security_manager.find_user(username=ADMIN)
        ImportAssetsCommand(bundle_contents(serving)).run()
        dashboards = sorted(path.stem for path in (ASSETS / "dashboards").glob("*.yaml"))
        print(f"Imported {len(dashboards)} dashboards ({', '.join(dashboards)}) reading {serving}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serving", type=Path, default=REPO / "data" / "serving" / "current.duckdb",
                        help="the serving file Superset reads (default: data/serving/current.duckdb)")
    args = parser.parse_args(argv)
    if not args.serving.exists():
        print(f"error: no serving file at {args.serving}: publish the warehouse first (`make run`)", file=sys.stderr)
        return 2
    home = Path(superset_env()["BI_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    superset("db", "upgrade")
    ensure_admin(home)
    superset("init")
    import_assets(args.serving)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

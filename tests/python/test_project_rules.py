"""The project's structure rules, checked on the dbt manifest (what dbt-project-evaluator checks, as this project
chooses them). Each accepted exception is a row of seeds/project_rule_exceptions.csv with its reason; an exception
that no longer applies fails too, so the list stays true.

- report_upstream_of_non_report: reports (`rpt_`) are leaves — only other reports, and the dealer extract datasets
  in models/exports/ (which publish their rows), read them.
- intermediate_reads_mart: intermediate models read staging and other intermediate models, never a mart.
- only_staging_reads_sources: only staging models read `source()`.
- staging_reads_outside_staging: staging reads sources, seeds and staging models of its own system only.
- macro_calls_ref: no project macro calls `ref()` or `source()` — models pass relations in, so every dependency is
  visible in the model file.
- model_without_primary_key_test: every model that is built (not ephemeral) has a primary-key test: `unique` and
  `not_null` on one column, or `unique_combination` over its key columns.
- fan_in: a model reads at most FAN_IN_LIMIT distinct parents (models, seeds, sources).
- source_without_freshness: every source table states its freshness (warn_after or error_after).
- undocumented: every model, and every column a model declares, has a description.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import re
from pathlib import Path

import pytest

from orchestration.project import prepare_project

REPO = Path(__file__).resolve().parents[2]
PROJECT = "relationship_warehouse"
EXCEPTIONS = REPO / "seeds" / "project_rule_exceptions.csv"
FAN_IN_LIMIT = 8
REF_CALL = re.compile(r"\b(ref|source)\s*\(")
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)

Violation = tuple[str, str, str]  # rule, model (or macro, or source), parent ('' for rules about a node)


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The dbt manifest (the build's own when it is newer than every project file; parsed otherwise)."""
    return json.loads(prepare_project().read_text())


def _layer(node: dict) -> str:
    """The folder under models/ (staging, intermediate, marts, semantic)."""
    return node["fqn"][1] if len(node["fqn"]) > 2 else ""


def _system(node: dict) -> str:
    """A staging model's source system: its folder under models/staging/."""
    return node["fqn"][2] if len(node["fqn"]) > 3 else ""


def _has_primary_key_test(model_id: str, model: dict, tests: list[dict]) -> bool:
    attached = [test for test in tests if test.get("attached_node") == model_id]
    unique = {test["column_name"] for test in attached if test["test_metadata"]["name"] == "unique"}
    not_null = {test["column_name"] for test in attached if test["test_metadata"]["name"] == "not_null"}
    not_null |= {name for name, column in model["columns"].items()
                 if any(constraint["type"] == "not_null" for constraint in column.get("constraints", []))}
    combination = any(test["test_metadata"]["name"] == "unique_combination" for test in attached)
    return bool(unique & not_null) or combination


def violations(manifest: dict) -> set[Violation]:
    """Every breach of the rules in the manifest, before exceptions."""
    nodes = manifest["nodes"]
    models = {uid: node for uid, node in nodes.items()
              if node["resource_type"] == "model" and node["package_name"] == PROJECT}
    tests = [node for node in nodes.values() if node["resource_type"] == "test" and node.get("test_metadata")]
    found: set[Violation] = set()
    for uid, model in models.items():
        name, layer = model["name"], _layer(model)
        parents = set(model["depends_on"]["nodes"])
        parent_models = [models[parent] for parent in parents if parent in models]
        for parent in parent_models:
            if parent["name"].startswith("rpt_") and not name.startswith("rpt_") and layer != "exports":
                found.add(("report_upstream_of_non_report", parent["name"], name))
            if layer == "intermediate" and _layer(parent) == "marts":
                found.add(("intermediate_reads_mart", name, parent["name"]))
            if layer == "staging" and (_layer(parent) != "staging" or _system(parent) != _system(model)):
                found.add(("staging_reads_outside_staging", name, parent["name"]))
        for parent in parents:
            if parent.startswith("source.") and layer != "staging":
                found.add(("only_staging_reads_sources", name, parent.split(".", 2)[2]))
        if len(parents) > FAN_IN_LIMIT:
            found.add(("fan_in", name, ""))
        if model["config"]["materialized"] != "ephemeral" and not _has_primary_key_test(uid, model, tests):
            found.add(("model_without_primary_key_test", name, ""))
        if not model["description"].strip() or any(not column["description"].strip()
                                                   for column in model["columns"].values()):
            found.add(("undocumented", name, ""))
    for macro in manifest["macros"].values():
        if macro["package_name"] == PROJECT and REF_CALL.search(JINJA_COMMENT.sub("", macro["macro_sql"])):
            found.add(("macro_calls_ref", macro["name"], ""))
    for source in manifest["sources"].values():
        freshness = source.get("freshness") or {}
        if source["package_name"] == PROJECT and not any((freshness.get(level) or {}).get("count")
                                                         for level in ("warn_after", "error_after")):
            found.add(("source_without_freshness", f"{source['source_name']}.{source['name']}", ""))
    return found


def exceptions() -> list[dict[str, str]]:
    with EXCEPTIONS.open(newline="") as file:
        return list(csv.DictReader(file))


def _excepted(violation: Violation, exception: dict[str, str]) -> bool:
    rule, model, parent = violation
    return (exception["rule"] == rule and fnmatch.fnmatchcase(model, exception["model"])
            and fnmatch.fnmatchcase(parent, exception["parent"] or ""))


def test_the_project_keeps_its_structure_rules(manifest: dict) -> None:
    found = violations(manifest)
    unexcepted = sorted(violation for violation in found
                        if not any(_excepted(violation, exception) for exception in exceptions()))
    assert not unexcepted, (
        "structure rules broken (fix the model, or add a row with the reason to seeds/project_rule_exceptions.csv):\n"
        + "\n".join(f"  {rule}: {model}{' <- ' + parent if parent else ''}" for rule, model, parent in unexcepted))


def test_every_exception_is_still_needed_and_says_why(manifest: dict) -> None:
    found = violations(manifest)
    rules = {"report_upstream_of_non_report", "intermediate_reads_mart", "only_staging_reads_sources",
             "staging_reads_outside_staging", "macro_calls_ref", "model_without_primary_key_test", "fan_in",
             "source_without_freshness", "undocumented"}
    for exception in exceptions():
        assert exception["rule"] in rules, f"unknown rule in {EXCEPTIONS.name}: {exception}"
        assert len(exception["reason"].split()) >= 8, f"an exception must say why: {exception}"
        assert any(_excepted(violation, exception) for violation in found), (
            f"exception no longer needed — remove it from {EXCEPTIONS.name}: {exception}")


def _manifest(models: dict[str, dict], macros: dict[str, str] | None = None,
              sources: dict[str, dict] | None = None, tests: list[dict] | None = None) -> dict:
    """A minimal manifest: models by name as (layer, parents, materialized), for the rules' own tests."""
    nodes: dict[str, dict] = {}
    for name, (path, parents, materialized) in models.items():
        nodes[f"model.{PROJECT}.{name}"] = {
            "resource_type": "model", "package_name": PROJECT, "name": name,
            "fqn": [PROJECT, *path.split("/"), name], "description": f"{name}.",
            "columns": {"id": {"description": "Key.", "constraints": []}},
            "depends_on": {"nodes": [p if p.startswith("source.") else f"model.{PROJECT}.{p}" for p in parents]},
            "config": {"materialized": materialized},
        }
    for index, test in enumerate(tests or []):
        nodes[f"test.{PROJECT}.t{index}"] = {"resource_type": "test", **test}
    return {
        "nodes": nodes,
        "macros": {f"macro.{PROJECT}.{name}": {"package_name": PROJECT, "name": name, "macro_sql": sql}
                   for name, sql in (macros or {}).items()},
        "sources": sources or {},
    }


def _key_tests(*names: str) -> list[dict]:
    return [{"attached_node": f"model.{PROJECT}.{name}", "column_name": "id", "test_metadata": {"name": kind}}
            for name in names for kind in ("unique", "not_null")]


def test_the_rules_find_what_they_name() -> None:
    manifest = _manifest(
        {
            "stg_shop__orders": ("staging/shop", ["source.x.shop.orders"], "view"),
            "stg_crm__touchpoints": ("staging/crm", ["stg_shop__orders"], "view"),
            "int_orders_summarised": ("intermediate/customers", ["fct_orders"], "table"),
            "fct_orders": ("marts/customers", ["stg_shop__orders", "source.x.shop.refunds"], "table"),
            "rpt_health": ("marts/customers", ["fct_orders"], "table"),
            "dim_customers": ("marts/customers", ["rpt_health", *[f"p{i}" for i in range(FAN_IN_LIMIT)]], "table"),
            "int_ephemeral": ("intermediate/customers", [], "ephemeral"),
        },
        macros={"hidden": "select * from {{ ref('fct_orders') }}",
                "clean": "{#- reads the model's source() relation -#} select {{ column }} from {{ landed }}"},
        sources={"source.x.shop.orders": {"package_name": PROJECT, "source_name": "shop", "name": "orders",
                                          "freshness": {"warn_after": {"count": None}, "error_after": {}}}},
        tests=_key_tests("stg_shop__orders", "stg_crm__touchpoints", "int_orders_summarised", "fct_orders",
                         "rpt_health"),
    )
    assert violations(manifest) == {
        ("staging_reads_outside_staging", "stg_crm__touchpoints", "stg_shop__orders"),
        ("intermediate_reads_mart", "int_orders_summarised", "fct_orders"),
        ("only_staging_reads_sources", "fct_orders", "shop.refunds"),
        ("report_upstream_of_non_report", "rpt_health", "dim_customers"),
        ("fan_in", "dim_customers", ""),
        ("model_without_primary_key_test", "dim_customers", ""),
        ("macro_calls_ref", "hidden", ""),
        ("source_without_freshness", "shop.orders", ""),
    }


def test_an_exception_covers_only_its_rule_model_and_parent() -> None:
    exception = {"rule": "intermediate_reads_mart", "model": "int_dealer_*", "parent": "fct_*", "reason": "…"}
    assert _excepted(("intermediate_reads_mart", "int_dealer_metrics", "fct_leads"), exception)
    assert not _excepted(("intermediate_reads_mart", "int_dealer_metrics", "rpt_leads"), exception)
    assert not _excepted(("intermediate_reads_mart", "int_orders", "fct_leads"), exception)
    assert not _excepted(("fan_in", "int_dealer_metrics", ""), exception)

"""Accuracy of the relationship marts (referrals, cohorts, relationship health) against the simulator's answer key."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from conftest import Build


@pytest.fixture(scope="module")
def warehouse(ci_build: Build) -> Iterator[duckdb.DuckDBPyConnection]:
    """The ci warehouse, read-only."""
    con = duckdb.connect(str(ci_build.warehouse), read_only=True)
    yield con
    con.close()


def _truth(ci_build: Build, name: str) -> str:
    return f"read_parquet('{ci_build.truth / name}.parquet')"


def test_untended_churned_customers_show_up_in_relationship_health(
    ci_build: Build, warehouse: duckdb.DuckDBPyConnection
) -> None:
    """Planted customers whose last purchase was never followed up and who then stopped ordering are flagged
    as untended and churned."""
    planted, flagged = warehouse.execute(
        f"""
        select
            count(*),
            count(*) filter (where health.is_last_purchase_untended and health.is_churned)
        from {_truth(ci_build, "untended_churned")} as truth
        left join marts.rpt_relationship_health as health
            on truth.golden_customer_id = health.golden_customer_id
        """
    ).fetchall()[0]
    assert planted > 0
    share = flagged / planted
    print(f"untended-churned found: {flagged}/{planted} = {share:.3f}")
    assert share >= 0.9


def test_tended_churned_customers_are_not_called_untended(
    ci_build: Build, warehouse: duckdb.DuckDBPyConnection
) -> None:
    """Planted customers who were followed up after every order but churned anyway are churned and tended."""
    planted, tended_churned = warehouse.execute(
        f"""
        select
            count(*),
            count(*) filter (where health.last_purchase_follow_up_status = 'tended' and health.is_churned)
        from {_truth(ci_build, "tended_churned")} as truth
        left join marts.rpt_relationship_health as health
            on truth.golden_customer_id = health.golden_customer_id
        """
    ).fetchall()[0]
    assert planted > 0
    share = tended_churned / planted
    print(f"tended-churned classified tended and churned: {tended_churned}/{planted} = {share:.3f}")
    assert share >= 0.9


def test_untended_customers_churn_more_than_tended_ones(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Over all customers, the churn rate of those whose last purchase went untended exceeds that of those
    whose last purchase was followed up; each segmentation of the summary adds up to the customer-level report."""
    untended_rate, tended_rate = warehouse.execute(
        """
        select
            avg(case when is_churned then 1.0 else 0.0 end)
                filter (where last_purchase_follow_up_status = 'untended'),
            avg(case when is_churned then 1.0 else 0.0 end)
                filter (where last_purchase_follow_up_status = 'tended')
        from marts.rpt_relationship_health
        """
    ).fetchall()[0]
    print(f"churn rate untended {untended_rate:.3f} vs tended {tended_rate:.3f}")
    assert untended_rate > tended_rate
    by_segmentation = warehouse.execute(
        """
        select
            segmentation,
            sum(untended_customers),
            sum(untended_churned_customers),
            sum(tended_customers),
            sum(customers)
        from marts.rpt_relationship_health_by_segment
        group by segmentation
        order by segmentation
        """
    ).fetchall()
    by_customer = warehouse.execute(
        """
        select
            count(*) filter (where last_purchase_follow_up_status = 'untended'),
            count(*) filter (where last_purchase_follow_up_status = 'untended' and is_churned),
            count(*) filter (where last_purchase_follow_up_status = 'tended'),
            count(*)
        from marts.rpt_relationship_health
        """
    ).fetchall()[0]
    assert [row[0] for row in by_segmentation] == ["behavioural_segment", "customer_type", "rfm_segment"]
    for row in by_segmentation:
        assert tuple(row[1:]) == by_customer, row[0]


def test_cohort_bargain_hunters_match_the_planted_ones(ci_build: Build, warehouse: duckdb.DuckDBPyConnection) -> None:
    """The cohorts' bargain hunters (first-order discount, never ordered again) are the planted bargain hunters."""
    planted = {
        row[0]
        for row in warehouse.execute(f"select golden_customer_id from {_truth(ci_build, 'bargain_hunters')}").fetchall()
    }
    found = {
        row[0]
        for row in warehouse.execute(
            """
        select golden_customer_id
        from marts.fct_orders
        group by golden_customer_id
        having count(*) = 1 and bool_or(used_first_order_discount)
        """
        ).fetchall()
    }
    in_cohorts = warehouse.execute(
        "select sum(bargain_hunters) from marts.rpt_acquisition_cohorts where months_since_first_order = 0"
    ).fetchall()[0][0]
    assert planted
    precision = len(found & planted) / len(found)
    recall = len(found & planted) / len(planted)
    print(f"bargain hunters: precision {precision:.3f}, recall {recall:.3f}, in cohorts {in_cohorts}")
    assert in_cohorts == len(found)
    assert precision >= 0.9 and recall >= 0.9


def test_reseller_like_advocates_refer_at_least_three_a_quarter(
    ci_build: Build, warehouse: duckdb.DuckDBPyConnection
) -> None:
    """Planted resellers refer one or two people every month: the advocate report gives them 3+ a quarter."""
    resellers, high_rate = warehouse.execute(
        f"""
        select
            count(*),
            count(*) filter (where advocates.referrals_per_quarter >= 3)
        from {_truth(ci_build, "resellers")} as truth
        left join marts.rpt_referral_advocates as advocates
            on truth.golden_customer_id = advocates.advocate_golden_customer_id
        where truth.expected_flag
        """
    ).fetchall()[0]
    assert resellers > 0
    print(f"resellers with 3+ referrals a quarter: {high_rate}/{resellers}")
    assert high_rate / resellers >= 0.9


def test_chain_depth_is_positive_exactly_when_a_referred_customer_bought(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """An advocate's chain is at least one link deep exactly when someone they referred (not themselves) bought."""
    mismatches = warehouse.execute(
        """
        select count(*)
        from marts.rpt_referral_advocates
        where (chain_depth > 0) <> (referred_customers_who_bought > 0)
        """
    ).fetchall()[0][0]
    assert mismatches == 0

"""Customer marts against the simulator's answer key: the vendor-potential flag finds the planted
resellers and none of the decoys, and the behavioural segments find the bargain hunters."""

from __future__ import annotations

import duckdb
import pytest

from conftest import Build


@pytest.fixture(scope="module")
def con(ci_build: Build):
    connection = duckdb.connect(str(ci_build.warehouse), read_only=True)
    connection.execute(
        f"create temp view resellers as select * from read_parquet('{ci_build.truth}/resellers.parquet')"
    )
    connection.execute(
        f"create temp view bargain_hunters as select * from read_parquet('{ci_build.truth}/bargain_hunters.parquet')"
    )
    yield connection
    connection.close()


def precision_recall(con, predicted_sql: str, truth_sql: str) -> tuple[float, float, int, int]:
    (true_positives, predicted, actual) = con.execute(
        f"""
        with predicted as ({predicted_sql}), truth as ({truth_sql})
        select
            (select count(*) from predicted where golden_customer_id in (select golden_customer_id from truth)),
            (select count(*) from predicted),
            (select count(*) from truth)
        """
    ).fetchone()
    return true_positives / max(predicted, 1), true_positives / max(actual, 1), predicted, actual


def test_vendor_potential_finds_the_planted_resellers(con):
    precision, recall, predicted, actual = precision_recall(
        con,
        "select golden_customer_id from marts.rpt_vendor_potential where is_vendor_potential",
        "select golden_customer_id from resellers where expected_flag",
    )
    print(f"vendor potential: precision {precision:.3f}, recall {recall:.3f} ({predicted} flagged, {actual} planted)")
    assert precision >= 0.9 and recall >= 0.9


def test_vendor_potential_flags_no_decoy_and_explains_exclusions(con):
    decoys = con.execute(
        """
        select resellers.decoy_kind, vendor.is_vendor_potential, vendor.exclusion_reasons
        from resellers
        inner join marts.rpt_vendor_potential as vendor using (golden_customer_id)
        where not resellers.expected_flag
        """
    ).fetchall()
    assert decoys, "the answer key plants decoys"
    assert not [row for row in decoys if row[1]], "a decoy was flagged"
    words = {"opted_out": "opted out", "already_dealer": "already a dealer", "competitor_affiliated": "competitor"}
    for kind, _, reasons in decoys:
        if kind in words:
            assert words[kind] in reasons, (kind, reasons)


def test_flagged_customers_come_with_reasons(con):
    missing = con.execute(
        "select count(*) from marts.rpt_vendor_potential where is_vendor_potential and coalesce(reasons, '') = ''"
    ).fetchone()[0]
    assert missing == 0


def test_bargain_hunters_are_identified(con):
    precision, recall, predicted, actual = precision_recall(
        con,
        "select golden_customer_id from marts.rpt_customer_segments where is_bargain_hunter",
        "select golden_customer_id from bargain_hunters",
    )
    print(f"bargain hunters: precision {precision:.3f}, recall {recall:.3f} ({predicted} found, {actual} planted)")
    assert precision >= 0.9 and recall >= 0.9


def test_rfm_frequency_fits_one_time_buyers_on_the_simulated_base(con):
    """On the simulated base (a quarter of the ci customers bought once, an eighth of demo's; the dbt unit test
    rfm_fits_a_base_of_mostly_one_time_buyers covers a base of mostly one-time buyers): frequency recomputed
    independently — one-time buyers 1, repeat buyers 2 + floor(4 × share of repeat buyers with fewer orders) —
    and no one-time buyer (the planted bargain hunters among them) in a segment that means "buys often"."""
    seg = con.execute("""select golden_customer_id, frequency_orders, frequency_score, rfm_segment, is_dormant
                         from marts.rpt_customer_segments""").df()
    one_time = seg["frequency_orders"] == 1
    repeat = seg[~one_time]
    fewer = repeat["frequency_orders"].rank(method="min") - 1
    expected = (2 + (4 * fewer // len(repeat))).astype(int)
    print(f"one-time buyers: {one_time.sum()} of {len(seg)} ({one_time.mean():.1%})")
    assert one_time.sum() > 100 and len(repeat) > 100
    assert (seg.loc[one_time, "frequency_score"] == 1).all()
    assert (repeat["frequency_score"] == expected).all()
    assert set(repeat["frequency_score"]) == {2, 3, 4, 5}
    assert not seg.loc[one_time, "rfm_segment"].isin(["champions", "loyal", "at_risk"]).any()
    assert not seg.loc[seg["is_dormant"], "rfm_segment"].isin(
        ["champions", "loyal", "promising", "new", "need_attention"]).any()
    hunters = con.execute("""select s.rfm_segment, s.frequency_score from marts.rpt_customer_segments s
        inner join bargain_hunters b using (golden_customer_id)""").fetchall()
    assert hunters and all(score == 1 and segment not in ("champions", "loyal", "at_risk")
                           for segment, score in hunters)


def test_every_order_belongs_to_a_customer_of_the_dimension(con):
    orphans = con.execute(
        """
        select count(*) from marts.fct_orders
        where golden_customer_id not in (select golden_customer_id from marts.dim_customers)
        """
    ).fetchone()[0]
    assert orphans == 0

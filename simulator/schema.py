"""Column layout, Parquet types and keys of every raw table (see docs/raw_contract.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
S = pa.string()
F = pa.float64()
I32 = pa.int32()
B = pa.bool_()
D = pa.date32()

DUCKDB_TYPES = {
    TS: "TIMESTAMP WITH TIME ZONE",
    S: "VARCHAR",
    F: "DOUBLE",
    I32: "INTEGER",
    B: "BOOLEAN",
    D: "DATE",
}


@dataclass(frozen=True)
class TableDef:
    """A raw table: source system, name, ordered columns and key columns."""

    system: str
    name: str
    columns: tuple[tuple[str, pa.DataType], ...]
    key: tuple[str, ...]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(n, t) for n, t in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [n for n, _ in self.columns]

    @property
    def qualified(self) -> str:
        return f"{self.system}.{self.name}"


def _t(system: str, name: str, key: tuple[str, ...], cols: list[tuple[str, pa.DataType]]) -> TableDef:
    return TableDef(system, name, tuple(cols), key)


TABLES: dict[str, TableDef] = {
    t.qualified: t
    for t in [
        _t("shop", "customers", ("customer_id",), [
            ("customer_id", S), ("customer_type", S), ("full_name", S), ("company_name", S), ("email", S),
            ("phone", S), ("country_code", S), ("region", S), ("city", S), ("affiliated_brand", S),
            ("is_outreach_opt_out", B), ("created_at", TS), ("loaded_at", TS)]),
        _t("shop", "products", ("product_id",), [
            ("product_id", S), ("sku", S), ("product_name", S), ("category", S), ("manufacturer", S),
            ("brand", S), ("is_own_brand", B), ("supplier", S), ("list_price", F), ("currency_code", S),
            ("loaded_at", TS)]),
        _t("shop", "orders", ("order_id",), [
            ("order_id", S), ("customer_id", S), ("placed_at", S), ("currency_code", S), ("sales_channel", S),
            ("acquisition_channel", S), ("discount_code", S), ("dealer_id", S), ("loaded_at", TS)]),
        _t("shop", "order_lines", ("order_line_id",), [
            ("order_line_id", S), ("order_id", S), ("product_id", S), ("quantity", I32), ("unit_price", F),
            ("discount_amount", F), ("line_amount", F), ("loaded_at", TS)]),
        _t("shop", "refunds", ("refund_id",), [
            ("refund_id", S), ("order_id", S), ("order_line_id", S), ("refund_amount", F), ("currency_code", S),
            ("reason", S), ("refunded_at", TS), ("loaded_at", TS)]),
        _t("shop", "custom_order_requests", ("request_id",), [
            ("request_id", S), ("customer_id", S), ("product_category", S), ("quantity_requested", I32),
            ("description", S), ("requested_at", TS), ("loaded_at", TS)]),
        _t("shop", "reseller_inquiries", ("inquiry_id",), [
            ("inquiry_id", S), ("customer_id", S), ("inquiry_channel", S), ("message", S), ("inquired_at", TS),
            ("loaded_at", TS)]),
        _t("mdm", "customer_master", ("source_system", "source_customer_id"), [
            ("golden_customer_id", S), ("source_system", S), ("source_customer_id", S), ("matched_at", TS),
            ("loaded_at", TS)]),
        _t("mdm", "friends_family", ("link_id",), [
            ("link_id", S), ("golden_customer_id", S), ("friend_name", S), ("friend_email", S),
            ("friend_phone", S), ("friend_golden_customer_id", S), ("has_consent", B), ("added_at", TS),
            ("loaded_at", TS)]),
        _t("crm", "touchpoints", ("touchpoint_id",), [
            ("touchpoint_id", S), ("crm_contact_id", S), ("touchpoint_type", S), ("employee_id", S),
            ("cost_amount", F), ("currency_code", S), ("touched_at", TS), ("loaded_at", TS)]),
        _t("crm", "referrals", ("referral_id",), [
            ("referral_id", S), ("referrer_crm_contact_id", S), ("referred_name", S), ("referred_email", S),
            ("referred_phone", S), ("referred_crm_contact_id", S), ("referred_at", TS), ("loaded_at", TS)]),
        _t("loyalty", "wallet_transactions", ("transaction_id",), [
            ("transaction_id", S), ("member_id", S), ("transaction_type", S), ("amount", F), ("points", I32),
            ("currency_code", S), ("order_id", S), ("campaign_id", S), ("transacted_at", TS), ("loaded_at", TS)]),
        _t("loyalty", "daily_totals", ("total_date", "transaction_type"), [
            ("total_date", D), ("transaction_type", S), ("transaction_count", I32), ("amount_total", F),
            ("points_total", I32), ("loaded_at", TS)]),
        _t("dealer_portal", "dealers", ("dealer_id",), [
            ("dealer_id", S), ("dealer_name", S), ("country_code", S), ("region", S), ("tier", S),
            ("joined_at", TS), ("shop_customer_id", S), ("loaded_at", TS)]),
        _t("dealer_portal", "dealer_sales", ("report_line_id",), [
            ("report_line_id", S), ("dealer_id", S), ("period_month", D), ("product_id", S),
            ("competitor_brand", S), ("category", S), ("quantity", I32), ("revenue_amount", F),
            ("currency_code", S), ("loaded_at", TS)]),
        _t("dealer_portal", "dealer_purchases", ("purchase_id",), [
            ("purchase_id", S), ("dealer_id", S), ("product_id", S), ("quantity", I32), ("unit_price", F),
            ("currency_code", S), ("shipped_at", TS), ("loaded_at", TS)]),
        _t("dealer_portal", "data_sharing_agreements", ("agreement_id",), [
            ("agreement_id", S), ("dealer_id", S), ("agreement_version", I32), ("shares_sell_through", B),
            ("receives_scorecard", B), ("receives_lead_funnel", B), ("receives_lead_contacts", B),
            ("receives_campaign_results", B), ("valid_from", D), ("valid_to", D), ("loaded_at", TS)]),
        _t("marketing", "campaigns", ("campaign_id",), [
            ("campaign_id", S), ("campaign_name", S), ("campaign_type", S), ("discount_code", S),
            ("cost_amount", F), ("currency_code", S), ("starts_at", TS), ("ends_at", TS), ("loaded_at", TS)]),
        _t("marketing", "leads", ("lead_id",), [
            ("lead_id", S), ("lead_source", S), ("campaign_id", S), ("country_code", S), ("region", S),
            ("contact_name", S), ("contact_email", S), ("contact_phone", S), ("has_contact_consent", B),
            ("created_at", TS), ("loaded_at", TS)]),
        _t("marketing", "lead_events", ("lead_event_id",), [
            ("lead_event_id", S), ("lead_id", S), ("dealer_id", S), ("event_type", S), ("won_amount", F),
            ("currency_code", S), ("event_at", TS), ("loaded_at", TS)]),
        _t("service", "after_sales_tickets", ("ticket_id",), [
            ("ticket_id", S), ("order_line_id", S), ("customer_id", S), ("dealer_id", S), ("complaint_type", S),
            ("escalated_to", S), ("resolution", S), ("compensation_amount", F), ("currency_code", S),
            ("opened_at", TS), ("closed_at", TS), ("loaded_at", TS)]),
        _t("promotions", "lottery_prizes", ("prize_id",), [
            ("prize_id", S), ("campaign_id", S), ("prize_name", S), ("advertised_odds", F),
            ("stock_quantity", I32), ("prize_value_amount", F), ("currency_code", S), ("loaded_at", TS)]),
        _t("promotions", "lottery_draws", ("draw_id",), [
            ("draw_id", S), ("campaign_id", S), ("customer_id", S), ("order_id", S), ("prize_id", S),
            ("drawn_at", TS), ("loaded_at", TS)]),
        _t("reference", "fx_rates", ("rate_date", "currency_code"), [
            ("rate_date", D), ("currency_code", S), ("rate_to_usd", F), ("loaded_at", TS)]),
    ]
}

{{ config(meta={'dagster': {'ref': {'name': 'fct_order_lines'}}}) }}
-- Line by line, gross = the source's line total when it sent one, else quantity × the unrounded unit price
-- rounded once to the currency's minor unit (exact to the cent: 3 × 11.3233… is 33.97, not 33.9699);
-- net = gross − discount (a missing discount is 0); and the reporting amounts are the order-currency amounts
-- at the line's rate (wholesale lines are where warehouses double-count). It checks the lines written since it last
-- passed (macros/data_test_scope.sql: every line the first time; the others are as they were when it passed).
with all_built_lines as (

    select * from {{ ref('fct_order_lines') }}

),

built_lines as (

    select *
    from all_built_lines
    where {{ written_since_test_passed('all_built_lines.computed_at') }}

),

staged_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

currencies as (

    select * from {{ ref('currencies') }}

)

select
    built_lines.order_line_id,
    built_lines.quantity,
    staged_lines.unit_price,
    staged_lines.line_amount,
    built_lines.gross_amount,
    built_lines.net_amount,
    built_lines.gross_amount_reporting
from built_lines
inner join staged_lines
    on built_lines.order_line_id = staged_lines.order_line_id
inner join currencies
    on built_lines.currency_code = currencies.currency_code
where
    built_lines.gross_amount != coalesce(
        staged_lines.line_amount,
        {{ round_double("staged_lines.quantity * staged_lines.unit_price", "currencies.minor_units") }}
    )
    or built_lines.gross_amount
    != {{ round_double("cast(built_lines.gross_amount as double)", "currencies.minor_units") }}
    or built_lines.net_amount != built_lines.gross_amount - coalesce(staged_lines.discount_amount, 0)
    or built_lines.discount_amount != staged_lines.discount_amount
    or abs(built_lines.gross_amount_reporting - built_lines.gross_amount * built_lines.fx_rate_to_reporting) > 0.0001

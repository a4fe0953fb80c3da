-- Every raw refund, checked. A refund must have a date (unparseable_timestamp otherwise: it could not be put
-- in any period), belong to an order (and line) that staged (parent_quarantined when the parent exists but
-- was quarantined), have a rate for its day (missing_fx_rate), and fit in what is still refundable
-- (refund_exceeds_sale):
--   * the sale is the staged line's net amount (gross − discount) for a line refund, the staged order's net
--     amount (sum of its staged lines) for an order-level refund;
--   * a refund larger than the whole sale on its own is quarantined and never counts against the sale;
--   * the other refunds of a line (and of an order) are taken in refunded_at, then loaded_at, then refund_id
--     order; a refund that takes the running total of its line, or of its order (line and order-level refunds
--     together), above the sale is quarantined, and so is every later one: the sale is exhausted;
--   * the comparison is made when the refund is in the order's currency (a refund in another currency is
--     left to its currency and rate checks).
-- Only the latest row of a key among those that pass every other check counts (the others are duplicate_key).
-- Incremental: each run reads only the landed files no row came from yet (`landed_file`) and checks again, with
-- every row of their keys, every refund of an order that gains a refund row, loses one to a newer row of its key,
-- has a refund quarantined for a reason time or new rates can lift (future_timestamp, missing_fx_rate), or whose
-- header or lines were staged since the refunds were last built (its sale or its parents' checks may have
-- changed), and every refund of an order sharing a refund key with those (the key's winner may change). A refund
-- of any other order re-checked only because its key is shared keeps its refund_exceeds_sale outcome (its
-- order's refunds are not all at hand, and nothing they are measured against changed). Rows of
-- those keys are replaced (delete+insert on row_key), so the table equals a full build.
{%- set reevaluated_reasons = ['future_timestamp', 'missing_fx_rate'] -%}
{%- set dependent_checks = [
    'orphan_reference', 'parent_quarantined', 'missing_fx_rate', 'refund_exceeds_sale', 'duplicate_key'
] -%}
{%- set new_files = unread_landed_files('shop', 'refunds') if is_incremental() else [] -%}
{%- set orders_to_recheck -%}
    -- the orders whose refunds are all checked again (see above)
    select {{ clean_text('order_id') }} as order_id
    from {{ source('shop', 'refunds') }}
    where {{ landed_file_filter(new_files) }}
    union
    select order_id from {{ this }}
    where
        row_key in (
            select {{ clean_text('refund_id') }} from {{ source('shop', 'refunds') }}
            where {{ landed_file_filter(new_files) }}
        )
        or quarantine_reason in ({{ reason_list(reevaluated_reasons) }})
    union
    select order_id from {{ ref('base_shop__orders') }}
    where staged_at > {{ last_staged_at() }}
    union
    select order_id from {{ ref('base_shop__order_lines') }}
    where staged_at > {{ last_staged_at() }}
{%- endset -%}
{%- set orders_to_recheck -%}
    -- and the orders sharing a refund key with them: the key's winner may change with them
    with directly_affected as (
        {{ orders_to_recheck }}
    )

    select order_id from directly_affected
    union
    select order_id from {{ this }}
    where row_key in (
        select row_key from {{ this }}
        where order_id in (select directly_affected.order_id from directly_affected)
    )
{%- endset -%}
{%- set landed = source('shop', 'refunds') -%}
{%- set checked_refunds = 'candidates' if is_incremental() else 'renamed' -%}
{%- set files = incremental_base_files(
    landed, 'shop', 'refunds', 'refund_id', reevaluated_reasons, new_files=new_files,
    recheck='select row_key from ' ~ this ~ ' where order_id in (' ~ orders_to_recheck ~ ')'
) %}
with source as (

    {{ incremental_base_source(landed, files) }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

orders as (

    select * from {{ ref('base_shop__orders') }}

),

order_lines as (

    select * from {{ ref('base_shop__order_lines') }}

),

-- the same lines for the sales refunds are measured against: each read by one CTE alone, so the engine streams
-- them through its lookup instead of holding every staged line
order_lines_for_sales as (

    select * from {{ ref('base_shop__order_lines') }}

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

renamed as (

    select
        {{ clean_text('refund_id') }} as refund_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ safe_number('refund_amount', 'decimal(18, 4)') }} as refund_amount,
        upper(trim(currency_code)) as currency_code,
        reason,
        {{ to_utc_timestamp('refunded_at') }} as refunded_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        landed_file,
        source_struct,
        {{ row_hash('source_struct') }} as source_row_hash
    from source

),
{{ incremental_base_candidates('refund_id', reevaluated_reasons, files) }}

referenced_orders as (

    -- the orders and lines the refunds name (on an incremental run, the candidate refunds): a refund is checked
    -- against its own parents only, so the run looks up those instead of hashing every staged one
    select
        orders.order_id,
        orders.quarantine_reason
    from orders
    where orders.order_id in (select refunds.order_id from {{ checked_refunds }} as refunds)

),

referenced_lines as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.quarantine_reason
    from order_lines
    where order_lines.order_line_id in (select refunds.order_line_id from {{ checked_refunds }} as refunds)

),

rechecked_orders as (

    {%- if is_incremental() %}
        -- the orders all of whose refunds are among the candidates: refund_exceeds_sale is measured again for these
        {{ orders_to_recheck }}
    {%- else %}
        -- every order with a refund: no other sale is measured
        select distinct order_id from renamed
    {%- endif %}

),

prior_checked as (

    select
        *,
        case
            {{- incremental_base_kept_check(dependent_checks) }}
            when refund_id is null then 'missing_key'
            when refunded_at is null then 'unparseable_timestamp'
            when refunded_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when refund_amount is null or refund_amount <= 0 then 'invalid_amount'
            when length(reason) > {{ var('max_text_length') }} then 'value_too_long'
            when
                order_id is null
                or order_id not in (
                    select orders.order_id from referenced_orders as orders
                    where orders.order_id is not null
                )
                then 'orphan_reference'
            when
                order_line_id is not null
                and order_line_id not in (
                    select order_lines.order_line_id
                    from referenced_lines as order_lines
                    where order_lines.order_line_id is not null
                )
                then 'orphan_reference'
            when
                order_id not in (
                    select orders.order_id from referenced_orders as orders
                    where orders.quarantine_reason is null
                )
                then 'parent_quarantined'
            when
                order_line_id is not null
                and order_line_id not in (
                    select order_lines.order_line_id
                    from referenced_lines as order_lines
                    where order_lines.quarantine_reason is null
                )
                then 'parent_quarantined'
            when
                {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.refunded_at') }}
                then 'missing_fx_rate'
        end as prior_check
    from {{ checked_refunds }} as renamed

),

ranked as (

    -- among a key's rows that pass every other check and have landed by the build's start, the latest counts
    select
        *,
        case
            when prior_check is null and loaded_at <= {{ build_started_at() }}
                then row_number() over (
                    partition by refund_id, prior_check is null and loaded_at <= {{ build_started_at() }}
                    order by loaded_at desc, source_row_hash desc, landed_file desc
                )
        end as key_rank
    from prior_checked

),

measured_lines as (

    -- the staged lines refunds are measured against: those of the orders measured (again), and every line a
    -- refund names (which may belong to another order: its order's lines come along, and only its own sale is
    -- read)
    select *
    from order_lines_for_sales
    where
        quarantine_reason is null
        and order_id in (
            select rechecked_orders.order_id from rechecked_orders
            union
            select referenced_lines.order_id from referenced_lines
        )

),

line_sales as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        orders.currency_code,
        {{ line_gross_amount(
            'order_lines.quantity', 'order_lines.unit_price', 'order_lines.line_amount', 'currencies.minor_units'
        ) }} - order_lines.discount_amount as net_amount
    from measured_lines as order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    inner join known_currencies as currencies
        on orders.currency_code = currencies.currency_code
    where orders.quarantine_reason is null

),

order_sales as (

    -- A staged order without staged lines has nothing refundable.
    select
        orders.order_id,
        orders.currency_code,
        coalesce(sum(line_sales.net_amount), 0) as net_amount
    from orders
    inner join rechecked_orders
        on orders.order_id = rechecked_orders.order_id
    left join line_sales
        on orders.order_id = line_sales.order_id
    where orders.quarantine_reason is null
    group by orders.order_id, orders.currency_code

),

candidate_refunds as (

    -- The refunds that would stage but for the sale they refund, each with the sale it is measured against.
    select
        refunds.refund_id,
        refunds.order_id,
        refunds.order_line_id,
        refunds.refund_amount,
        refunds.refunded_at,
        refunds.loaded_at,
        line_sales.net_amount as line_net_amount,
        order_sales.net_amount as order_net_amount,
        coalesce(refunds.refund_amount > coalesce(line_sales.net_amount, order_sales.net_amount), false)
            as is_larger_than_sale
    from ranked as refunds
    left join order_sales
        on
            refunds.order_id = order_sales.order_id
            and refunds.currency_code = order_sales.currency_code
    left join line_sales
        on
            refunds.order_line_id = line_sales.order_line_id
            and refunds.currency_code = line_sales.currency_code
    where
        refunds.key_rank = 1
        and order_sales.order_id is not null

),

running_totals as (

    select
        *,
        sum(case when not is_larger_than_sale then refund_amount else 0 end) over (
            partition by order_id
            order by refunded_at, loaded_at, refund_id
            rows between unbounded preceding and current row
        ) as order_refunded_so_far,
        sum(case when not is_larger_than_sale then refund_amount else 0 end) over (
            partition by order_id, order_line_id
            order by refunded_at, loaded_at, refund_id
            rows between unbounded preceding and current row
        ) as line_refunded_so_far
    from candidate_refunds

),

exceeding_refunds as (

    select refund_id
    from running_totals
    where
        is_larger_than_sale
        or order_refunded_so_far > order_net_amount
        or (order_line_id is not null and line_refunded_so_far > line_net_amount)

),

checked as (

    select
        {{ star_except(['prior_check', 'key_rank']) }},
        {{ row_key(['refund_id']) }} as row_key,
        coalesce(
            prior_check,
            case
                when key_rank > 1 then 'duplicate_key'
                {% if is_incremental() %}
                    when order_id not in (select rechecked_orders.order_id from rechecked_orders)
                        then nullif(previous_failed_check, 'duplicate_key')
                {% endif %}
                when refund_id in (select exceeding_refunds.refund_id from exceeding_refunds)
                    then 'refund_exceeds_sale'
            end
        ) as failed_check
    from ranked

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['refund_id'], 'landed_file') }}

)
{{ incremental_base_final(landed, 'refund_id', files) }}

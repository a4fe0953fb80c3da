{% macro changed_order_ids(orders, order_lines, refunds, fx_rates, customer_ids, products, campaigns) -%}
    {#-
        The orders an incremental order fact must rebuild: those whose header, lines or refunds staging wrote
        since the fact last ran (staged_at after the newest in the fact: a file that lands late, with old
        loaded_at, counts too; and those loaded since a Dagster run's first day, see loaded_since_backfill_start),
        those whose shop account's golden customer changed since the fact last ran (int_customer_ids_tracked: MDM
        matched, re-matched or dropped it, however late its file landed), those with a product re-landed since the
        cutoff (see incremental_cutoff), those whose first-order code's campaign landed since then, and those on or
        after the first day whose rate changed since the fact last ran (int_fx_rates_tracked: a rate file landing
        again with the same rates re-prices nothing).
        On a full build: every order.
        The arguments are the calling model's import CTEs (or relations) of stg_shop__orders, stg_shop__order_lines,
        stg_shop__refunds, int_fx_rates_tracked, int_customer_ids_tracked, stg_shop__products and
        stg_marketing__campaigns; give each its own import CTE, read by nothing else, so the engine streams it.
    -#}
    {%- if not is_incremental() %}
    select orders.order_id from {{ orders }} as orders
    {%- else %}
    with first_repriced_date as (
        select {{ first_changed_rate_date(fx_rates) }} as rate_date
    ),

    last_staged as (
        select {{ last_staged_at() }} as staged_at
    )

    -- each input is read once (the products and campaigns re-landed since the cutoff are small lookups)
    select orders.order_id from {{ orders }} as orders
    where
        orders.staged_at > (select last_staged.staged_at from last_staged)
        or {{ loaded_since_backfill_start('orders.loaded_at') }}
        or cast(orders.placed_at as date) >= (select first_repriced_date.rate_date from first_repriced_date)
        or orders.discount_code in (
            select campaigns.discount_code
            from {{ campaigns }} as campaigns
            where campaigns.loaded_at >= {{ incremental_cutoff() }}
        )
    union
    select order_lines.order_id from {{ order_lines }} as order_lines
    where
        order_lines.staged_at > (select last_staged.staged_at from last_staged)
        or {{ loaded_since_backfill_start('order_lines.loaded_at') }}
        or order_lines.product_id in (
            select products.product_id
            from {{ products }} as products
            where products.loaded_at >= {{ incremental_cutoff() }}
        )
    union
    select refunds.order_id from {{ refunds }} as refunds
    where
        refunds.staged_at > (select last_staged.staged_at from last_staged)
        or {{ loaded_since_backfill_start('refunds.loaded_at') }}
        or cast(refunds.refunded_at as date) >= (select first_repriced_date.rate_date from first_repriced_date)
    union
    select built.order_id
    from {{ this }} as built
    -- the accounts whose golden customer changed since the fact last ran (usually none: the fact is not read)
    where built.shop_customer_id in {{ accounts_rematched_since(customer_ids, 'shop') }}
    {%- endif %}
{%- endmacro %}

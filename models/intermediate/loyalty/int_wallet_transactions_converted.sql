{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail'
    )
}}

-- Every staged wallet and points movement with its golden customer and its money in the reporting
-- currency (at the rate of the transaction's day). The base of the loyalty ledger. Incremental: a run takes
-- the movements staging wrote since the newest staged_at here (a late file of old movements included), and
-- again those on or after the first day whose exchange rate landed since the cutoff (incremental_cutoff). A
-- member matched by MDM later keeps its earlier movements' golden customer until a full refresh.

with wallet_transactions as (

    select * from {{ ref('stg_loyalty__wallet_transactions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'loyalty'

),

-- read on incremental runs only
published_rates as ( -- noqa: ST03

    select * from {{ ref('stg_reference__fx_rates') }}

),

new_transactions as (

    select * from wallet_transactions
    {%- if is_incremental() %}
        where
            wallet_transactions.staged_at > {{ last_staged_at() }}
            or {{ loaded_since_backfill_start('wallet_transactions.loaded_at') }}
            -- a rate landed since the cutoff: the movements on or after its day are converted again
            or cast(wallet_transactions.transacted_at as date) >= (
                select min(published_rates.rate_date)
                from published_rates
                where published_rates.loaded_at >= {{ incremental_cutoff() }}
            )
    {%- endif %}

),

final as (

    select
        new_transactions.transaction_id,
        new_transactions.member_id,
        customer_ids.golden_customer_id,
        new_transactions.transaction_type,
        new_transactions.transacted_at,
        cast(new_transactions.transacted_at as date) as transaction_date,
        new_transactions.currency_code,
        new_transactions.amount,
        cast(new_transactions.amount * fx_rates.rate_to_reporting as decimal(18, 4)) as amount_reporting,
        new_transactions.points,
        new_transactions.order_id,
        new_transactions.campaign_id,
        new_transactions.loaded_at,
        new_transactions.staged_at
    from new_transactions
    left join customer_ids
        on new_transactions.member_id = customer_ids.source_customer_id
    left join fx_rates
        on
            cast(new_transactions.transacted_at as date) = fx_rates.rate_date
            and new_transactions.currency_code = fx_rates.currency_code

)

select * from final

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
-- again those on or after the first day whose rate changed since it last ran (int_fx_rates_tracked), and
-- every movement of a member whose golden customer changed since it last ran (int_customer_ids_tracked: MDM
-- matched the member later, or moved it to another golden record). previous_golden_customer_id keeps the golden
-- customer a movement had before it was written again with another one (its member re-matched, or a corrected row
-- naming another member).
-- computed_at (this build's start on every row it writes) tells the wallet models downstream which members
-- to compute again.

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
rate_changes as ( -- noqa: ST03

    select * from {{ ref('int_fx_rates_tracked') }}

),

-- read on incremental runs only
customer_id_changes as ( -- noqa: ST03

    select * from {{ ref('int_customer_ids_tracked') }}

),

{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),
{%- endif %}

new_transactions as (

    select * from wallet_transactions
    {%- if is_incremental() %}
        where
            wallet_transactions.staged_at > {{ last_staged_at() }}
            -- the members whose golden customer changed since this model last ran
            or wallet_transactions.member_id in {{ accounts_rematched_since('customer_id_changes', 'loyalty') }}
            or {{ loaded_since_backfill_start('wallet_transactions.loaded_at') }}
            -- a day's rate changed since this model last ran: the movements on or after that day are converted
            -- again
            or cast(wallet_transactions.transacted_at as date) >= {{ first_changed_rate_date('rate_changes') }}
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
        {{ to_decimal("new_transactions.amount * fx_rates.rate_to_reporting", 18, 4) }} as amount_reporting,
        new_transactions.points,
        new_transactions.order_id,
        new_transactions.campaign_id,
        new_transactions.loaded_at,
        new_transactions.staged_at,
        {{ build_started_at() }} as computed_at,
        {%- if is_incremental() %}
            {{ previous_golden_customer_id('built', 'customer_ids.golden_customer_id') }} as previous_golden_customer_id
        {%- else %}
            cast(null as string) as previous_golden_customer_id
        {%- endif %}
    from new_transactions
    left join customer_ids
        on new_transactions.member_id = customer_ids.source_customer_id
    {%- if is_incremental() %}
        left join built
            on new_transactions.transaction_id = built.transaction_id
    {%- endif %}
    left join fx_rates
        on
            cast(new_transactions.transacted_at as date) = fx_rates.rate_date
            and new_transactions.currency_code = fx_rates.currency_code

)

select * from final

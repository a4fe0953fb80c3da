{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='golden_customer_id',
        on_schema_change='fail',
        pre_hook="
            {%- if is_incremental() -%}
            {%- call delete_rows(this) %}
            golden_customer_id not in (
                select ledger.golden_customer_id
                from {{ ref('fct_wallet_ledger') }} as ledger
                where ledger.golden_customer_id is not null
            )
            {%- endcall %}
            {%- endif -%}
        "
    )
}}

-- Balances per golden customer and day: paid money, bonus credit and points at the end of the day, and the
-- points that expire within the next 30, 60 and 90 days. Not a full calendar: one row per customer for every
-- day on which one of the customer's wallets changed, plus every month-end from the customer's first entry
-- to the last day with data (a balance is valid until the customer's next row). Money: each wallet's balance
-- in its own currency (the running sum of the ledger) valued at the balance day's rate. Incremental: a run rebuilds
-- every customer with a ledger entry computed after the newest computed_at here (an entry is computed again whenever
-- its member's wallet changes: a movement staged since, a late file of old movements included, a rate, a rule, or
-- MDM matching the member to another golden customer), and the customer such a member belonged to before, every
-- customer whenever a new month-end has passed, and every customer with a balance on or after the first day whose
-- rate changed since (int_fx_rates_tracked); before it, the rows of customers left with no ledger entry are deleted.

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

-- the same ledger for the last day with data and for the customers a run computes: each read by one CTE alone,
-- so the engine streams it instead of holding every entry for three readers
ledger_for_as_of as (

    select * from {{ ref('fct_wallet_ledger') }}

),

ledger_for_scope as (

    select * from {{ ref('fct_wallet_ledger') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

-- read on incremental runs only
rate_changes as ( -- noqa: ST03

    select * from {{ ref('int_fx_rates_tracked') }}

),

-- read on incremental runs only
converted_movements as ( -- noqa: ST03

    select * from {{ ref('int_wallet_transactions_converted') }}

),

as_of as (

    select max(transaction_date) as last_data_date
    from ledger_for_as_of

),

affected_customers as (

    select distinct golden_customer_id
    from ledger_for_scope as ledger -- noqa: AL05
    {%- if is_incremental() %}
        where
            ledger.computed_at > {{ last_computed_at() }}
            or {{ loaded_since_backfill_start('ledger.loaded_at') }}
    {%- endif %}

    {% if is_incremental() %}
        union

        -- the customer a member's movements belonged to before MDM matched or re-matched the member
        {{ previous_customers_written_since('converted_movements') }}

        union

        -- customers without a row on the last month-end on or before the last day with data (that day itself
        -- when it ends a month)
        select built_customers.golden_customer_id
        from (
            -- aggregated first, then filtered: Spark cannot resolve a scalar subquery in this HAVING
            select
                golden_customer_id,
                max(balance_date) as last_balance_date
            from {{ this }}
            group by golden_customer_id
        ) as built_customers
        where
            built_customers.last_balance_date < (
                select cast({{ dbt.date_trunc('month', dbt.dateadd('day', 1, 'last_data_date')) }} as date) - 1
                from as_of
            )

        union

        -- customers with a balance on or after the first day whose rate changed since this model last ran (a
        -- late or corrected rate revalues those balances)
        select golden_customer_id
        from {{ this }}
        where balance_date >= {{ first_changed_rate_date('rate_changes') }}
    {% endif %}

),

affected_ledger as (

    select ledger.*
    from ledger
    inner join affected_customers
        on ledger.golden_customer_id = affected_customers.golden_customer_id

),

member_day_ends as (

    -- The state of each member wallet at the end of each day it changed.
    select
        golden_customer_id,
        member_id,
        transaction_date,
        currency_code,
        paid_balance,
        bonus_balance,
        points_balance,
        sum(case when points_applied < 0 then -points_applied else 0 end) over member_history
            as points_deducted_running,
        max(loaded_at) over member_history as loaded_at_running,
        max(staged_at) over member_history as staged_at_running
    from affected_ledger
    window
        member_history as (
            partition by member_id order by entry_sequence rows between unbounded preceding and current row
        )
    qualify row_number() over (partition by member_id, transaction_date order by entry_sequence desc) = 1

),

member_states as (

    select
        *,
        lead(transaction_date, 1, cast('9999-12-31' as date)) over (
            partition by member_id order by transaction_date
        ) as valid_until
    from member_day_ends

),

lots as (

    select
        member_id,
        transaction_date as earned_date,
        points_expire_at,
        points_applied as lot_points,
        sum(points_applied) over (
            partition by member_id
            order by points_expire_at, entry_sequence
            rows between unbounded preceding and current row
        ) as lot_range_end
    from affected_ledger
    where points_applied > 0

),

customer_starts as (

    select
        golden_customer_id,
        min(transaction_date) as first_date
    from member_day_ends
    group by golden_customer_id

),

month_ends as (

    {{ date_series(
        "(select min(first_date) from customer_starts)",
        "(select last_data_date from as_of)",
        "balance_date"
    ) }}

),

balance_days as (

    select distinct
        golden_customer_id,
        transaction_date as balance_date
    from member_day_ends

    union

    select
        customer_starts.golden_customer_id,
        month_ends.balance_date
    from customer_starts
    inner join month_ends
        on customer_starts.first_date <= month_ends.balance_date
    where month_ends.balance_date = cast({{ dbt.last_day('month_ends.balance_date', 'month') }} as date)

),

member_balances as (

    select
        balance_days.golden_customer_id,
        balance_days.balance_date,
        member_states.member_id,
        {{ to_decimal("member_states.paid_balance * fx_rates.rate_to_reporting", 18, 4) }} as paid_balance_reporting,
        {{ to_decimal("member_states.bonus_balance * fx_rates.rate_to_reporting", 18, 4) }} as bonus_balance_reporting,
        member_states.points_balance,
        member_states.points_deducted_running,
        member_states.loaded_at_running,
        member_states.staged_at_running
    from balance_days
    inner join member_states
        on
            balance_days.golden_customer_id = member_states.golden_customer_id
            and balance_days.balance_date >= member_states.transaction_date
            and balance_days.balance_date < member_states.valid_until
    left join fx_rates
        on
            balance_days.balance_date = fx_rates.rate_date
            and member_states.currency_code = fx_rates.currency_code

),

member_expiring as (

    -- Under oldest-expiring-first, a lot's points still held at the end of the day are its range of the
    -- running total of points earned beyond the points deducted so far.
    select
        member_balances.member_id,
        member_balances.balance_date,
        sum(
            case
                when lots.points_expire_at < cast(member_balances.balance_date as timestamp) + interval 31 day
                    then greatest(
                        0,
                        lots.lot_range_end
                        - greatest(member_balances.points_deducted_running, lots.lot_range_end - lots.lot_points)
                    )
                else 0
            end
        ) as points_expiring_30_days,
        sum(
            case
                when lots.points_expire_at < cast(member_balances.balance_date as timestamp) + interval 61 day
                    then greatest(
                        0,
                        lots.lot_range_end
                        - greatest(member_balances.points_deducted_running, lots.lot_range_end - lots.lot_points)
                    )
                else 0
            end
        ) as points_expiring_60_days,
        sum(
            greatest(
                0,
                lots.lot_range_end
                - greatest(member_balances.points_deducted_running, lots.lot_range_end - lots.lot_points)
            )
        ) as points_expiring_90_days
    from member_balances
    inner join lots
        on
            member_balances.member_id = lots.member_id
            and member_balances.balance_date >= lots.earned_date
            and lots.points_expire_at >= cast(member_balances.balance_date as timestamp) + interval 1 day
            and lots.points_expire_at < cast(member_balances.balance_date as timestamp) + interval 91 day
    group by member_balances.member_id, member_balances.balance_date

),

changed_days as (

    select distinct
        golden_customer_id,
        transaction_date
    from member_day_ends

),

final as (

    select
        member_balances.golden_customer_id,
        member_balances.balance_date,
        changed_days.transaction_date is not null as has_wallet_activity,
        member_balances.balance_date = cast({{ dbt.last_day('member_balances.balance_date', 'month') }} as date)
            as is_month_end,
        {{ to_decimal("sum(member_balances.paid_balance_reporting)", 18, 4) }} as paid_balance_reporting,
        {{ to_decimal("sum(member_balances.bonus_balance_reporting)", 18, 4) }} as bonus_balance_reporting,
        {{ to_decimal("
            sum(member_balances.paid_balance_reporting + member_balances.bonus_balance_reporting)",
            18, 4
        ) }} as wallet_balance_reporting,
        cast(sum(member_balances.points_balance) as bigint) as points_balance,
        cast(coalesce(sum(member_expiring.points_expiring_30_days), 0) as bigint) as points_expiring_30_days,
        cast(coalesce(sum(member_expiring.points_expiring_60_days), 0) as bigint) as points_expiring_60_days,
        cast(coalesce(sum(member_expiring.points_expiring_90_days), 0) as bigint) as points_expiring_90_days,
        max(member_balances.loaded_at_running) as loaded_at,
        max(member_balances.staged_at_running) as staged_at,
        {{ build_started_at() }} as computed_at
    from member_balances
    left join member_expiring
        on
            member_balances.member_id = member_expiring.member_id
            and member_balances.balance_date = member_expiring.balance_date
    left join changed_days
        on
            member_balances.golden_customer_id = changed_days.golden_customer_id
            and member_balances.balance_date = changed_days.transaction_date
    group by
        member_balances.golden_customer_id,
        member_balances.balance_date,
        changed_days.transaction_date

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='member_id',
        on_schema_change='fail',
        pre_hook="
            {%- if is_incremental() -%}
            {%- call delete_rows(this) %}
            member_id in (
                -- the members whose entries int_wallet_entries_bucketed (a view) shows as computed since: read
                -- from the table that stamps them, without the view's join (every balanced entry is a movement)
                select balanced.member_id
                from {{ ref('int_wallet_entries_balanced') }} as balanced
                where balanced.computed_at > {{ last_computed_at() }}
            )
            {%- endcall %}
            {%- endif -%}
        "
    )
}}

-- depends_on: {{ ref('int_wallet_entries_balanced') }} (the pre-hook's members)

-- Which points lot each points deduction consumed, oldest-expiring lot first (FIFO), set-based: the lots of a
-- member laid end to end by expiry give each lot a range of the running total of points earned; the
-- deductions laid end to end in time order give each deduction a range of the running total of points
-- deducted; a deduction consumes from every lot whose range overlaps its own, as much as they overlap.
-- One row per (lot, deduction) pair. Valid while a member's points balance never goes below zero (tested).
-- Incremental one member at a time: a run deletes (pre-hook) and computes again the members
-- int_wallet_entries_bucketed took after the newest computed_at here, so a member left with no pair keeps none.

with entries as (

    select * from {{ ref('int_wallet_entries_bucketed') }}

),

entries_taken as (

    select * from entries
    {%- if is_incremental() %}
        where entries.computed_at > {{ last_computed_at() }}
    {%- endif %}

),

lots as (

    select
        transaction_id as lot_transaction_id,
        member_id,
        transacted_at as earned_at,
        points_expire_at,
        points_applied as lot_points,
        computed_at,
        sum(points_applied) over (
            partition by member_id
            order by points_expire_at, entry_sequence
            rows between unbounded preceding and current row
        ) as lot_range_end
    from entries_taken
    where points_applied > 0

),

deductions as (

    select
        transaction_id as deduction_transaction_id,
        member_id,
        entry_type as deduction_entry_type,
        transacted_at as deducted_at,
        -points_applied as deducted_points,
        sum(-points_applied) over (
            partition by member_id
            order by entry_sequence
            rows between unbounded preceding and current row
        ) as deduction_range_end
    from entries_taken
    where points_applied < 0

),

final as (

    select
        lots.lot_transaction_id,
        deductions.deduction_transaction_id,
        lots.member_id,
        deductions.deduction_entry_type,
        lots.earned_at,
        lots.points_expire_at,
        deductions.deducted_at,
        cast(
            least(lots.lot_range_end, deductions.deduction_range_end)
            - greatest(
                lots.lot_range_end - lots.lot_points,
                deductions.deduction_range_end - deductions.deducted_points
            ) as bigint
        ) as points_consumed,
        lots.computed_at
    from lots
    inner join deductions
        on
            lots.member_id = deductions.member_id
            and lots.lot_range_end - lots.lot_points < deductions.deduction_range_end
            and deductions.deduction_range_end - deductions.deducted_points < lots.lot_range_end

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_system', 'source_customer_id'],
        on_schema_change='fail'
    )
}}

-- When each account's golden customer last changed: one row per source system and customer id that
-- int_customer_ids_resolved holds or once held, with the build that first saw its current golden customer. MDM
-- matching an account (its fallback id gives way to a golden customer), re-matching it or dropping it changes the
-- account's row; an account that keeps its golden customer keeps its row. An account no longer resolved stays with
-- a null golden customer (that changed too). The order facts rebuild the orders of the accounts whose golden customer
-- changed since they last ran (changed_at after their newest computed_at) instead of comparing every account they
-- hold. Every run compares all accounts and writes the ones that changed.
with resolved as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),

    compared as (

        select
            coalesce(resolved.source_system, built.source_system) as source_system,
            coalesce(resolved.source_customer_id, built.source_customer_id) as source_customer_id,
            resolved.golden_customer_id,
            built.source_customer_id is not null
            and coalesce(
                resolved.golden_customer_id = built.golden_customer_id,
                resolved.golden_customer_id is null and built.golden_customer_id is null
            ) as is_unchanged
        from resolved
        full outer join built
            on
                resolved.source_system = built.source_system
                and resolved.source_customer_id = built.source_customer_id

    ),

    final as (

        select
            source_system,
            source_customer_id,
            golden_customer_id,
            {{ build_started_at() }} as changed_at
        from compared
        where not is_unchanged

    )
{%- else %}

    final as (

        select
            source_system,
            source_customer_id,
            golden_customer_id,
            {{ build_started_at() }} as changed_at
        from resolved

    )
{%- endif %}

select * from final

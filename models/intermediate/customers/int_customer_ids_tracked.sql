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
-- a null golden customer (that changed too). The order facts, the converted touchpoints and the converted wallet
-- movements rebuild the rows of the accounts whose golden customer changed since they last ran (changed_at after
-- their newest computed_at) instead of comparing every account they hold. Every run compares all accounts and writes
-- the ones that changed (macro changes_tracked).
with resolved as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

final as (

    {{ changes_tracked('resolved', ['source_system', 'source_customer_id'], ['golden_customer_id']) }}

)

select * from final

-- A null or empty acquisition_channel is an honest unknown (`unknown`), not a reason to quarantine the order.
-- Incremental: each run reads only the landed files no row came from yet (`landed_file`), and re-checks, with
-- every row of their keys, the rows whose outcome later data or time can change: a new row's key (it may win
-- or lose against the staged row), future_timestamp (the clock passes it) and missing_fx_rate (a rate can land;
-- a rate once staged stays). Every other check reads the row alone or a seed, so its outcome never changes.
-- Rows of those keys are replaced (delete+insert on row_key), so the table equals a full build.
{%- set reevaluated_reasons = ['future_timestamp', 'missing_fx_rate'] -%}
{%- set dependent_checks = ['missing_fx_rate'] -%}
{%- set landed = source('shop', 'orders') -%}
{%- set files = incremental_base_files(landed, 'shop', 'orders', 'order_id', reevaluated_reasons) %}
with source as (

    {{ incremental_base_source(landed, files) }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

renamed as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ text_to_utc_timestamp('placed_at', 'shop') }} as placed_at,
        placed_at as placed_at_local,
        upper(trim(currency_code)) as currency_code,
        lower(trim(sales_channel)) as sales_channel,
        coalesce(lower({{ clean_text('acquisition_channel') }}), 'unknown') as acquisition_channel,
        upper({{ clean_text('discount_code') }}) as discount_code,
        {{ clean_text('dealer_id') }} as dealer_id,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        landed_file,
        source_struct,
        {{ row_hash('source_struct') }} as source_row_hash
    from source

),
{{ incremental_base_candidates('order_id', reevaluated_reasons) }}

checked as (

    select
        *,
        {{ row_key(['order_id']) }} as row_key,
        case
            {{- incremental_base_kept_check(dependent_checks) }}
            when order_id is null then 'missing_key'
            when placed_at is null then 'unparseable_timestamp'
            when placed_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when {{ is_unaccepted_code('accepted_codes', 'sales_channel', 'sales_channel') }} then 'invalid_code'
            when
                {{ is_unaccepted_code(
                    'accepted_codes', 'acquisition_channel', 'acquisition_channel', allow_null=true
                ) }}
                then 'invalid_code'
            when
                {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.placed_at') }}
                then 'missing_fx_rate'
        end as failed_check
    from {{ 'candidates' if is_incremental() else 'renamed' }} as renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['order_id'], 'landed_file') }}

)
{{ incremental_base_final(landed, 'order_id', files) }}

-- Every raw touchpoint (call, visit, e-mail, card, gift), checked.
-- Incremental: each run reads only the landed files no row came from yet (`landed_file`), and re-checks, with
-- every row of their keys, the rows whose outcome later data or time can change: a new row's key (it may win
-- or lose against the staged row), future_timestamp (the clock passes it) and missing_fx_rate (a rate can land;
-- a rate once staged stays). Every other check reads the row alone or a seed, so its outcome never changes.
-- Rows of those keys are replaced (delete+insert on row_key), so the table equals a full build.
{%- set reevaluated_reasons = ['future_timestamp', 'missing_fx_rate'] -%}
{%- set dependent_checks = ['missing_fx_rate'] -%}
{%- set landed = source('crm', 'touchpoints') -%}
{%- set files = incremental_base_files(landed, 'crm', 'touchpoints', 'touchpoint_id', reevaluated_reasons) %}
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
        {{ clean_text('touchpoint_id') }} as touchpoint_id,
        {{ clean_text('crm_contact_id') }} as crm_contact_id,
        lower(trim(touchpoint_type)) as touchpoint_type,
        {{ clean_text('employee_id') }} as employee_id,
        {{ safe_number('cost_amount', 'decimal(18, 4)') }} as cost_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('touched_at') }} as touched_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        landed_file,
        source_struct,
        {{ row_hash('source_struct') }} as source_row_hash
    from source

),
{{ incremental_base_candidates('touchpoint_id', reevaluated_reasons) }}

checked as (

    select
        *,
        {{ row_key(['touchpoint_id']) }} as row_key,
        case
            {{- incremental_base_kept_check(dependent_checks) }}
            when touchpoint_id is null then 'missing_key'
            when touched_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when {{ is_unaccepted_code('accepted_codes', 'touchpoint_type', 'touchpoint_type') }} then 'invalid_code'
            when {{ is_unusable_number('cost_amount') }} then 'invalid_amount'
            when cost_amount < 0 then 'invalid_amount'
            when
                cost_amount != 0
                and {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.touched_at') }}
                then 'missing_fx_rate'
        end as failed_check
    from {{ 'candidates' if is_incremental() else 'renamed' }} as renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['touchpoint_id'], 'landed_file') }}

)
{{ incremental_base_final(landed, 'touchpoint_id', files) }}

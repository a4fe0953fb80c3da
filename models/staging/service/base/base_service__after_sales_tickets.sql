with source as (

    select * from {{ source('service', 'after_sales_tickets') }}

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

order_lines as (

    -- The shop's checked lines: a ticket about a line the shop quarantined is quarantined with it.
    select * from {{ ref('base_shop__order_lines') }}

),

referenced_lines as (

    -- the staged rows of the lines the tickets name (a ticket is checked against its own line only), so the check
    -- looks up a few hundred thousand lines instead of hashing every staged one
    select
        order_lines.order_line_id,
        order_lines.quarantine_reason
    from order_lines
    where order_lines.order_line_id in (select {{ clean_text('source.order_line_id') }} from source)

),

renamed as (

    select
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('dealer_id') }} as dealer_id,
        lower(trim(complaint_type)) as complaint_type,
        lower(trim(escalated_to)) as escalated_to,
        lower(trim(resolution)) as resolution,
        {{ safe_number('compensation_amount', 'decimal(18, 4)') }} as compensation_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('opened_at') }} as opened_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['ticket_id']) }} as row_key,
        case
            when ticket_id is null then 'missing_key'
            when opened_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when {{ is_unaccepted_code('accepted_codes', 'complaint_type', 'complaint_type') }} then 'invalid_code'
            when {{ is_unusable_number('compensation_amount') }} then 'invalid_amount'
            when compensation_amount < 0 then 'invalid_amount'
            when
                compensation_amount != 0
                and {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.opened_at') }}
                then 'missing_fx_rate'
            when
                order_line_id is not null
                and order_line_id in (
                    select referenced_lines.order_line_id from referenced_lines
                    where referenced_lines.quarantine_reason is not null
                )
                and order_line_id not in (
                    select referenced_lines.order_line_id from referenced_lines
                    where referenced_lines.quarantine_reason is null
                )
                then 'parent_quarantined'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['ticket_id']) }}

)

select * from deduplicated

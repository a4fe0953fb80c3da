-- A null or empty acquisition_channel is an honest unknown (`unknown`), not a reason to quarantine the order.
-- Incremental: each run reads only the landed files no row came from yet (`landed_file`), and re-checks, with
-- every row of their keys, the rows whose outcome later data or time can change: a new row's key (it may win
-- or lose against the staged row), future_timestamp (the clock passes it) and missing_fx_rate (a rate can land;
-- a rate once staged stays). Every other check reads the row alone or a seed, so its outcome never changes.
-- Rows of those keys are replaced (delete+insert on row_key), so the table equals a full build.
{%- set reevaluated_reasons = ['future_timestamp', 'missing_fx_rate'] -%}
{%- set dependent_checks = ['missing_fx_rate'] -%}
{%- set reevaluated_list = "'" ~ reevaluated_reasons | join("', '") ~ "'" -%}
{%- set dependent_list = "'" ~ dependent_checks | join("', '") ~ "'" -%}
{%- if is_incremental() -%}
    {%- set new_files = unread_landed_files('shop', 'orders') -%}
    {%- set recovery_files = files_of_staged_rows(
        'select ' ~ clean_text('order_id') ~ ' from ' ~ source('shop', 'orders') ~ ' where ' ~ landed_file_filter(new_files)
        ~ ' union all select row_key from ' ~ this ~ ' where quarantine_reason in (' ~ reevaluated_list ~ ')'
    ) -%}
{%- endif %}
with source as (

    select
        *,
        struct_pack(*columns(* exclude (landed_file))) as source_struct
    from {{ source('shop', 'orders') }}
    {%- if is_incremental() %}
        where {{ landed_file_filter(new_files) }}
    {%- endif %}

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
        hash(source_struct) as source_row_hash
    from source

),
{%- if is_incremental() %}

    previous as (

        select * from {{ this }}

    ),

    affected_keys as (

        select {{ row_key(['order_id']) }} as row_key
        from renamed
        where order_id is not null
        union
        select row_key
        from previous
        where
            quarantine_reason in ({{ reevaluated_list }})

    ),

    restaged as (

        -- checked again with the new rows; a check that failed on the row alone keeps its outcome
        select
            {{ star_except(['row_key', 'failed_check', 'quarantine_reason', 'source_row']) }},
            failed_check as previous_failed_check,
            source_row as previous_source_row
        from previous
        where row_key in (select affected_keys.row_key from affected_keys)

    ),

    candidates as (

        select * from renamed
        union all by name
        select * from restaged

    ),
{%- endif %}

checked as (

    select
        *,
        {{ row_key(['order_id']) }} as row_key,
        case
            {%- if is_incremental() %}
                when
                    previous_failed_check not in ({{ dependent_list }})
                    then previous_failed_check
            {%- endif %}
            when order_id is null then 'missing_key'
            when placed_at is null then 'unparseable_timestamp'
            when placed_at > loaded_at then 'future_timestamp'
            when
                currency_code is null
                or currency_code not in (select known_currencies.currency_code from known_currencies)
                then 'unknown_currency'
            when
                sales_channel is null
                or sales_channel not in (
                    select accepted_codes.code from accepted_codes
                    where accepted_codes.code_set = 'sales_channel'
                )
                then 'invalid_code'
            when
                acquisition_channel not in (
                    select accepted_codes.code from accepted_codes
                    where accepted_codes.code_set = 'acquisition_channel'
                )
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
{%- if is_incremental() %}
    ,

    recovered as (

        -- the raw rows of staged rows that may now lose to a newer row of their key (source_row is kept for
        -- quarantined rows only), read again from their files
        select
            landed_file as recovered_file,
            {{ clean_text('order_id') }} as recovered_key,
            hash(source_struct) as recovered_hash,
            any_value(to_json(source_struct)) as recovered_source_row
        from (
            select
                *,
                struct_pack(*columns(* exclude (landed_file))) as source_struct
            from {{ source('shop', 'orders') }}
            where {{ landed_file_filter(recovery_files) }}
        ) as recovery_source
        group by all

    ),

    rechecked as (

        select
            {{ star_except([
                'source_row', 'previous_failed_check', 'previous_source_row',
                'recovered_file', 'recovered_key', 'recovered_hash', 'recovered_source_row',
            ]) }},
            case
                when deduplicated.quarantine_reason is not null
                    then coalesce(
                        deduplicated.source_row, deduplicated.previous_source_row, recovered.recovered_source_row
                    )
            end as source_row
        from deduplicated
        left join recovered
            on
                deduplicated.landed_file = recovered.recovered_file
                and deduplicated.row_key = recovered.recovered_key
                and deduplicated.source_row_hash = recovered.recovered_hash

    )

    select * from rechecked
{%- else %}

select * from deduplicated
{%- endif %}

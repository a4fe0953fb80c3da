with source as (

    select * from {{ source('dealer_portal', 'data_sharing_agreements') }}

),

renamed as (

    select
        {{ clean_text('agreement_id') }} as agreement_id,
        {{ clean_text('dealer_id') }} as dealer_id,
        {{ safe_number('agreement_version', 'integer') }} as agreement_version,
        cast(shares_sell_through as boolean) as shares_sell_through,
        cast(receives_scorecard as boolean) as receives_scorecard,
        cast(receives_lead_funnel as boolean) as receives_lead_funnel,
        cast(receives_lead_contacts as boolean) as receives_lead_contacts,
        cast(receives_campaign_results as boolean) as receives_campaign_results,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['agreement_id']) }} as row_key,
        case
            when agreement_id is null then 'missing_key'
            when {{ is_unusable_number('agreement_version') }} then 'invalid_quantity'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['agreement_id']) }}

)

select * from deduplicated

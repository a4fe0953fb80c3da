{{ config(meta={'dagster': {'ref': {'name': 'stg_shop__quarantined_rows'}}}) }}
-- For every source table, every raw row is either staged or quarantined: nothing is lost, nothing is
-- invented. Returns the tables where raw rows <> staged rows + quarantined rows. The raw side is the source
-- view over every file the landing holds (Parquet and CSV, any case, any depth; see create_landing_views),
-- not a glob of its own: a file the views would not read stops the build before this test runs, and
-- tests/python/test_landing.py counts the files again with pyarrow.
with reconciliation as (

    select
        'shop' as source_system,
        'customers' as source_table,
        (select count(*) from {{ source('shop', 'customers') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__customers') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'customers'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'products' as source_table,
        (select count(*) from {{ source('shop', 'products') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__products') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'products'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'orders' as source_table,
        (select count(*) from {{ source('shop', 'orders') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__orders') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'orders'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'order_lines' as source_table,
        (select count(*) from {{ source('shop', 'order_lines') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__order_lines') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'order_lines'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'refunds' as source_table,
        (select count(*) from {{ source('shop', 'refunds') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__refunds') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'refunds'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'custom_order_requests' as source_table,
        (select count(*) from {{ source('shop', 'custom_order_requests') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__custom_order_requests') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'custom_order_requests'
        ) as quarantined_rows

    union all

    select
        'shop' as source_system,
        'reseller_inquiries' as source_table,
        (select count(*) from {{ source('shop', 'reseller_inquiries') }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__reseller_inquiries') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_shop__quarantined_rows') }}
            where source_table = 'reseller_inquiries'
        ) as quarantined_rows

    union all

    select
        'mdm' as source_system,
        'customer_master' as source_table,
        (select count(*) from {{ source('mdm', 'customer_master') }}) as raw_rows,
        (select count(*) from {{ ref('stg_mdm__customer_master') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_mdm__quarantined_rows') }}
            where source_table = 'customer_master'
        ) as quarantined_rows

    union all

    select
        'mdm' as source_system,
        'friends_family' as source_table,
        (select count(*) from {{ source('mdm', 'friends_family') }}) as raw_rows,
        (select count(*) from {{ ref('stg_mdm__friends_family') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_mdm__quarantined_rows') }}
            where source_table = 'friends_family'
        ) as quarantined_rows

    union all

    select
        'crm' as source_system,
        'touchpoints' as source_table,
        (select count(*) from {{ source('crm', 'touchpoints') }}) as raw_rows,
        (select count(*) from {{ ref('stg_crm__touchpoints') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_crm__quarantined_rows') }}
            where source_table = 'touchpoints'
        ) as quarantined_rows

    union all

    select
        'crm' as source_system,
        'referrals' as source_table,
        (select count(*) from {{ source('crm', 'referrals') }}) as raw_rows,
        (select count(*) from {{ ref('stg_crm__referrals') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_crm__quarantined_rows') }}
            where source_table = 'referrals'
        ) as quarantined_rows

    union all

    select
        'loyalty' as source_system,
        'wallet_transactions' as source_table,
        (select count(*) from {{ source('loyalty', 'wallet_transactions') }}) as raw_rows,
        (select count(*) from {{ ref('stg_loyalty__wallet_transactions') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_loyalty__quarantined_rows') }}
            where source_table = 'wallet_transactions'
        ) as quarantined_rows

    union all

    select
        'loyalty' as source_system,
        'daily_totals' as source_table,
        (select count(*) from {{ source('loyalty', 'daily_totals') }}) as raw_rows,
        (select count(*) from {{ ref('stg_loyalty__daily_totals') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_loyalty__quarantined_rows') }}
            where source_table = 'daily_totals'
        ) as quarantined_rows

    union all

    select
        'dealer_portal' as source_system,
        'dealers' as source_table,
        (select count(*) from {{ source('dealer_portal', 'dealers') }}) as raw_rows,
        (select count(*) from {{ ref('stg_dealer_portal__dealers') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_dealer_portal__quarantined_rows') }}
            where source_table = 'dealers'
        ) as quarantined_rows

    union all

    select
        'dealer_portal' as source_system,
        'dealer_sales' as source_table,
        (select count(*) from {{ source('dealer_portal', 'dealer_sales') }}) as raw_rows,
        (select count(*) from {{ ref('stg_dealer_portal__dealer_sales') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_dealer_portal__quarantined_rows') }}
            where source_table = 'dealer_sales'
        ) as quarantined_rows

    union all

    select
        'dealer_portal' as source_system,
        'dealer_purchases' as source_table,
        (select count(*) from {{ source('dealer_portal', 'dealer_purchases') }}) as raw_rows,
        (select count(*) from {{ ref('stg_dealer_portal__dealer_purchases') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_dealer_portal__quarantined_rows') }}
            where source_table = 'dealer_purchases'
        ) as quarantined_rows

    union all

    select
        'dealer_portal' as source_system,
        'data_sharing_agreements' as source_table,
        (select count(*) from {{ source('dealer_portal', 'data_sharing_agreements') }}) as raw_rows,
        (select count(*) from {{ ref('stg_dealer_portal__data_sharing_agreements') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_dealer_portal__quarantined_rows') }}
            where source_table = 'data_sharing_agreements'
        ) as quarantined_rows

    union all

    select
        'marketing' as source_system,
        'campaigns' as source_table,
        (select count(*) from {{ source('marketing', 'campaigns') }}) as raw_rows,
        (select count(*) from {{ ref('stg_marketing__campaigns') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_marketing__quarantined_rows') }}
            where source_table = 'campaigns'
        ) as quarantined_rows

    union all

    select
        'marketing' as source_system,
        'leads' as source_table,
        (select count(*) from {{ source('marketing', 'leads') }}) as raw_rows,
        (select count(*) from {{ ref('stg_marketing__leads') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_marketing__quarantined_rows') }}
            where source_table = 'leads'
        ) as quarantined_rows

    union all

    select
        'marketing' as source_system,
        'lead_events' as source_table,
        (select count(*) from {{ source('marketing', 'lead_events') }}) as raw_rows,
        (select count(*) from {{ ref('stg_marketing__lead_events') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_marketing__quarantined_rows') }}
            where source_table = 'lead_events'
        ) as quarantined_rows

    union all

    select
        'service' as source_system,
        'after_sales_tickets' as source_table,
        (select count(*) from {{ source('service', 'after_sales_tickets') }}) as raw_rows,
        (select count(*) from {{ ref('stg_service__after_sales_tickets') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_service__quarantined_rows') }}
            where source_table = 'after_sales_tickets'
        ) as quarantined_rows

    union all

    select
        'promotions' as source_system,
        'lottery_prizes' as source_table,
        (select count(*) from {{ source('promotions', 'lottery_prizes') }}) as raw_rows,
        (select count(*) from {{ ref('stg_promotions__lottery_prizes') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_promotions__quarantined_rows') }}
            where source_table = 'lottery_prizes'
        ) as quarantined_rows

    union all

    select
        'promotions' as source_system,
        'lottery_draws' as source_table,
        (select count(*) from {{ source('promotions', 'lottery_draws') }}) as raw_rows,
        (select count(*) from {{ ref('stg_promotions__lottery_draws') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_promotions__quarantined_rows') }}
            where source_table = 'lottery_draws'
        ) as quarantined_rows

    union all

    select
        'reference' as source_system,
        'fx_rates' as source_table,
        (select count(*) from {{ source('reference', 'fx_rates') }}) as raw_rows,
        (select count(*) from {{ ref('stg_reference__fx_rates') }}) as staged_rows,
        (
            select count(*) from {{ ref('stg_reference__quarantined_rows') }}
            where source_table = 'fx_rates'
        ) as quarantined_rows

)

select *
from reconciliation
where raw_rows != staged_rows + quarantined_rows

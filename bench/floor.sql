-- The speed floor: the headline results of the warehouse computed straight from the raw files in one DuckDB
-- script, applying the staging rules that decide these figures (cleaning, checks, quarantine, latest row per
-- key, rates carried forward at most `fx_rate_max_age_days`). `make bench` times it and checks that its four
-- tables equal the marts row by row:
--
--   floor_orders          per order (fct_orders): golden customer, date, currency, net and refunded amounts in
--                         the order's currency and in the reporting currency, net after refunds
--   floor_customers       per golden customer with orders (dim_customers): orders, first and last order date,
--                         lifetime net revenue after refunds
--   floor_wallets         per loyalty member (fct_wallet_ledger, its last entry): wallet money (paid plus bonus)
--                         in the wallet's currency and points balance
--   floor_dealer_months   per dealer and month (fct_dealer_sales): report lines, units, revenue in the reporting
--                         currency, of which our own brand
--
-- Set before running (orchestration/bench.py does):
--   raw_dir            the landing root (RAW_DATA_DIR)
--   seeds_dir          the project's seeds/ (currencies and accepted codes)
--   csv_<table>        for each table read, its CSV files, plus a header-only file of the table's columns so
--                      the list is never empty (e.g. csv_orders)
--   build_started_at   rows loaded later are not trusted (future_timestamp), as in the build
-- The reporting currency is USD and shop.placed_at without an offset is UTC (dbt_project.yml's vars).

set timezone = 'UTC';

create or replace macro safe_number(value) as
    case when isfinite(try_cast(value as double)) and abs(try_cast(value as double)) < 1000000000000 then value end;

create or replace macro clean_text(value) as nullif(trim(value), '');

create or replace macro utc(value) as cast(timezone('UTC', try_cast(value as timestamp with time zone)) as timestamp);

-- The landed rows of a table (`folder` is `<system>/<table>`): its Parquet files at any depth, as stored, and its
-- CSV files (the `csv_<table>` variable) as text. A table's reading unions the two by name, casting the text.
create or replace macro landed_parquet(folder) as table
select *
from read_parquet(getvariable('raw_dir') || '/' || folder || '/**/*.[pP][aA][rR][qQ][uU][eE][tT]',
                  union_by_name = true, hive_partitioning = false);

create or replace macro landed_csv(folder) as table
select *
from read_csv(getvariable('csv_' || split_part(folder, '/', 2)), header = true, all_varchar = true,
              union_by_name = true);

-- Every distinct non-empty value of `key_column` landed in a table, Parquet and CSV, valid rows or not: a
-- reference to a value never landed is an orphan (quarantined), as in staging.
create or replace macro landed_keys(folder, key_column) as table
select distinct landed_key
from (
    select clean_text(columns(lambda c: c = key_column)) as landed_key from landed_parquet(folder)
    union all
    select clean_text(columns(lambda c: c = key_column)) as landed_key from landed_csv(folder)
)
where landed_key is not null;

create or replace table currencies as
select * from read_csv(getvariable('seeds_dir') || '/currencies.csv', header = true, types = {'minor_units': 'INTEGER'});

create or replace table accepted_codes as
select * from read_csv(getvariable('seeds_dir') || '/accepted_codes.csv', header = true, all_varchar = true);

-- ---- rates: staged rates, and the rate of each currency and day (latest published within 7 days) -----------

create or replace table staged_rates as
with source as (
    select rate_date, currency_code, rate_to_usd, loaded_at
    from landed_parquet('reference/fx_rates')
    union all by name
    select cast(rate_date as date) as rate_date, currency_code, cast(trim(rate_to_usd) as double) as rate_to_usd,
           cast(loaded_at as timestamp with time zone) as loaded_at
    from landed_csv('reference/fx_rates')
),
renamed as (
    select cast(rate_date as date) as rate_date, upper(trim(currency_code)) as currency_code,
           try_cast(safe_number(rate_to_usd) as double) as rate_to_usd, utc(loaded_at) as loaded_at,
           hash(source) as row_hash
    from source
)
select rate_date, currency_code, rate_to_usd
from renamed
where rate_date is not null and currency_code in (select currency_code from currencies)
    and rate_to_usd > 0 and not coalesce(loaded_at > getvariable('build_started_at'), false)
qualify row_number() over (partition by rate_date, currency_code order by loaded_at desc, row_hash desc) = 1;

-- The rate of each currency other than USD on each day: the latest published at most 7 days before.
create or replace table filled_rates as
with days as (
    select cast(unnest(generate_series(min(rate_date), max(rate_date) + 7, interval 1 day)) as date) as day
    from staged_rates
),
spine as (
    select days.day, currencies.currency_code
    from days cross join (select distinct currency_code from staged_rates where currency_code != 'USD') as currencies
)
select spine.day, spine.currency_code, rates.rate_to_usd as rate
from spine
asof inner join staged_rates as rates
    on spine.currency_code = rates.currency_code and spine.day >= rates.rate_date
where spine.day - rates.rate_date <= 7;

-- An amount of `currency` on `day` converts when it is in US dollars or the day has a rate.
create or replace macro has_rate(amount_currency, amount_day) as
    amount_currency = 'USD'
    or coalesce(amount_currency || '|' || cast(amount_day as date) in (
        select f.currency_code || '|' || f.day from filled_rates as f
    ), false);

create or replace macro rate_on(amount_currency, amount_day) as
    case when amount_currency = 'USD' then 1.0 else (
        select f.rate from filled_rates as f
        where f.currency_code = amount_currency and f.day = cast(amount_day as date)
    ) end;

-- ---- orders -------------------------------------------------------------------------------------------------

create or replace table staged_orders as
with source as (
    select order_id, customer_id, placed_at, currency_code, sales_channel, acquisition_channel, discount_code,
           dealer_id, loaded_at
    from landed_parquet('shop/orders')
    union all by name
    select * replace (cast(loaded_at as timestamp with time zone) as loaded_at)
    from landed_csv('shop/orders')
),
renamed as (
    select
        clean_text(order_id) as order_id,
        clean_text(customer_id) as customer_id,
        case
            when regexp_matches(trim(placed_at), '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
                then cast(timezone('UTC', try_cast(trim(placed_at) as timestamp with time zone)) as timestamp)
            else cast(timezone('UTC', timezone('UTC', try_cast(trim(placed_at) as timestamp))) as timestamp)
        end as placed_at,
        upper(trim(currency_code)) as currency_code,
        lower(trim(sales_channel)) as sales_channel,
        coalesce(lower(clean_text(acquisition_channel)), 'unknown') as acquisition_channel,
        utc(loaded_at) as loaded_at,
        hash(source) as row_hash
    from source
),
checked as (
    select *,
        order_id is not null
        and not coalesce(loaded_at > getvariable('build_started_at'), false)
        and placed_at is not null
        and not coalesce(placed_at > loaded_at, false)
        and currency_code in (select currency_code from currencies)
        and sales_channel in (select code from accepted_codes where code_set = 'sales_channel')
        and acquisition_channel in (select code from accepted_codes where code_set = 'acquisition_channel')
        and has_rate(currency_code, placed_at) as is_valid
    from renamed
)
select order_id, customer_id, placed_at, currency_code, loaded_at
from checked
where is_valid
qualify row_number() over (partition by order_id order by loaded_at desc, row_hash desc) = 1;

-- Every order id landed (staged or not): a line or refund of an id never landed is an orphan.
create or replace table all_order_ids as
select landed_key as order_id from landed_keys('shop/orders', 'order_id');

-- ---- order lines --------------------------------------------------------------------------------------------

create or replace table staged_lines as
with source as (
    select order_line_id, order_id, product_id, quantity, unit_price, discount_amount, line_amount, loaded_at
    from landed_parquet('shop/order_lines')
    union all by name
    select order_line_id, order_id, product_id, cast(trim(quantity) as integer) as quantity,
           cast(trim(unit_price) as double) as unit_price, cast(trim(discount_amount) as double) as discount_amount,
           cast(trim(line_amount) as double) as line_amount, cast(loaded_at as timestamp with time zone) as loaded_at
    from landed_csv('shop/order_lines')
),
renamed as (
    select
        clean_text(order_line_id) as order_line_id,
        clean_text(order_id) as order_id,
        clean_text(product_id) as product_id,
        try_cast(safe_number(quantity) as integer) as quantity,
        try_cast(safe_number(unit_price) as double) as unit_price,
        case when discount_amount is null then 0 else try_cast(safe_number(discount_amount) as decimal(18, 4)) end
            as discount_amount,
        try_cast(safe_number(line_amount) as decimal(18, 4)) as line_amount,
        source.line_amount is not null as has_raw_line_amount,
        utc(loaded_at) as loaded_at,
        hash(source) as row_hash
    from source
)
select order_line_id, order_id, quantity, unit_price, discount_amount, line_amount
from renamed
where order_line_id is not null
    and not coalesce(loaded_at > getvariable('build_started_at'), false)
    and quantity > 0
    and unit_price >= 0
    and discount_amount >= 0
    and not (has_raw_line_amount and line_amount is null)
    and not coalesce(line_amount < 0, false)
    and (order_id is null or order_id in (select order_id from all_order_ids))
    and (product_id is null or product_id in (
        select landed_key from landed_keys('shop/products', 'product_id')))
    and (order_id is null or order_id in (select order_id from staged_orders))
qualify row_number() over (partition by order_line_id order by loaded_at desc, row_hash desc) = 1;

-- Lines of staged orders with their gross (the source's line total, else quantity x unit price rounded once to
-- the currency's minor unit) and net amounts, in the order's currency.
create or replace table order_lines_priced as
select
    lines.order_line_id,
    lines.order_id,
    orders.currency_code,
    orders.placed_at,
    coalesce(lines.line_amount, cast(round(lines.quantity * lines.unit_price, currencies.minor_units) as decimal(18, 4)))
        - lines.discount_amount as net_amount
from staged_lines as lines
inner join staged_orders as orders on lines.order_id = orders.order_id
inner join currencies on orders.currency_code = currencies.currency_code;

-- ---- refunds: checked, then the ones that exceed what is still refundable are quarantined -----------------

create or replace table staged_refunds as
with source as (
    select refund_id, order_id, order_line_id, refund_amount, currency_code, reason, refunded_at, loaded_at
    from landed_parquet('shop/refunds')
    union all by name
    select refund_id, order_id, order_line_id, cast(trim(refund_amount) as double) as refund_amount, currency_code,
           reason, cast(trim(refunded_at) as timestamp with time zone) as refunded_at,
           cast(trim(loaded_at) as timestamp with time zone) as loaded_at
    from landed_csv('shop/refunds')
),
renamed as (
    select
        clean_text(refund_id) as refund_id,
        clean_text(order_id) as order_id,
        clean_text(order_line_id) as order_line_id,
        try_cast(safe_number(refund_amount) as decimal(18, 4)) as refund_amount,
        upper(trim(currency_code)) as currency_code,
        reason,
        utc(refunded_at) as refunded_at,
        utc(loaded_at) as loaded_at,
        hash(source) as row_hash
    from source
),
prior_checked as (
    select *,
        refund_id is not null
        and refunded_at is not null
        and not coalesce(refunded_at > loaded_at or loaded_at > getvariable('build_started_at'), false)
        and currency_code in (select currency_code from currencies)
        and refund_amount > 0
        and not coalesce(length(reason) > 1000, false)
        and order_id in (select order_id from all_order_ids)
        and (order_line_id is null or order_line_id in (
            select landed_key from landed_keys('shop/order_lines', 'order_line_id')))
        and order_id in (select order_id from staged_orders)
        and (order_line_id is null or order_line_id in (select order_line_id from staged_lines))
        and has_rate(currency_code, refunded_at) as passes,
        row_number() over (partition by refund_id order by loaded_at desc, row_hash desc) as key_rank
    from renamed
),
order_sales as (
    select orders.order_id, orders.currency_code, coalesce(sum(lines.net_amount), 0) as net_amount
    from staged_orders as orders
    left join order_lines_priced as lines on orders.order_id = lines.order_id
    group by orders.order_id, orders.currency_code
),
candidates as (
    select
        refunds.refund_id, refunds.order_id, refunds.order_line_id, refunds.refund_amount,
        lines.net_amount as line_net_amount, sales.net_amount as order_net_amount,
        coalesce(refunds.refund_amount > coalesce(lines.net_amount, sales.net_amount), false) as is_larger_than_sale,
        sum(case when not coalesce(refunds.refund_amount > coalesce(lines.net_amount, sales.net_amount), false)
            then refunds.refund_amount else 0 end) over (
            partition by refunds.order_id order by refunds.refunded_at, refunds.loaded_at, refunds.refund_id
            rows between unbounded preceding and current row) as order_refunded_so_far,
        sum(case when not coalesce(refunds.refund_amount > coalesce(lines.net_amount, sales.net_amount), false)
            then refunds.refund_amount else 0 end) over (
            partition by refunds.order_id, refunds.order_line_id
            order by refunds.refunded_at, refunds.loaded_at, refunds.refund_id
            rows between unbounded preceding and current row) as line_refunded_so_far
    from prior_checked as refunds
    left join order_sales as sales
        on refunds.order_id = sales.order_id and refunds.currency_code = sales.currency_code
    left join order_lines_priced as lines
        on refunds.order_line_id = lines.order_line_id and refunds.currency_code = lines.currency_code
    where refunds.passes and refunds.key_rank = 1 and sales.order_id is not null
),
exceeding as (
    select refund_id from candidates
    where is_larger_than_sale or order_refunded_so_far > order_net_amount
        or (order_line_id is not null and line_refunded_so_far > line_net_amount)
)
select refund_id, order_id, order_line_id, refund_amount, currency_code, refunded_at
from prior_checked
where passes and refund_id not in (select refund_id from exceeding)
qualify row_number() over (partition by refund_id order by loaded_at desc, row_hash desc) = 1;

-- ---- golden customers: the staged MDM crosswalk ------------------------------------------------------------

create or replace table shop_crosswalk as
with source as (
    select golden_customer_id, source_system, source_customer_id, matched_at, loaded_at
    from landed_parquet('mdm/customer_master')
    union all by name
    select golden_customer_id, source_system, source_customer_id,
           cast(matched_at as timestamp with time zone) as matched_at,
           cast(loaded_at as timestamp with time zone) as loaded_at
    from landed_csv('mdm/customer_master')
),
renamed as (
    select clean_text(golden_customer_id) as golden_customer_id, lower(trim(source_system)) as source_system,
           clean_text(source_customer_id) as source_customer_id, utc(matched_at) as matched_at,
           utc(loaded_at) as loaded_at, hash(source) as row_hash
    from source
)
select source_system, source_customer_id, golden_customer_id
from renamed
where golden_customer_id is not null and source_system is not null and source_customer_id is not null
    and not coalesce(loaded_at > getvariable('build_started_at'), false)
    and not coalesce(matched_at > loaded_at, false)
    and source_system in (select code from accepted_codes where code_set = 'source_system')
qualify row_number() over (
    partition by source_system, source_customer_id order by loaded_at desc, row_hash desc) = 1;

-- ---- floor_orders ---------------------------------------------------------------------------------------------

create or replace table floor_orders as
with refunds_reporting as (
    select refunds.*, refunds.refund_amount * rate_on(refunds.currency_code, refunds.refunded_at)
        as refund_amount_reporting
    from staged_refunds as refunds
),
line_refunds as (
    select order_line_id, sum(refund_amount_reporting) as reporting, sum(refund_amount) as amount
    from refunds_reporting where order_line_id is not null group by order_line_id
),
order_refunds as (
    select order_id, sum(refund_amount_reporting) as reporting, sum(refund_amount) as amount
    from refunds_reporting where order_line_id is null group by order_id
),
lines as (
    select
        lines.*,
        sum(lines.net_amount) over (partition by lines.order_id) as order_net_amount,
        rate_on(lines.currency_code, lines.placed_at) as rate
    from order_lines_priced as lines
),
lines_final as (
    select
        lines.order_id,
        cast(lines.net_amount as decimal(18, 4)) as net_amount,
        cast(coalesce(coalesce(line_refunds.amount, 0) + coalesce(
            order_refunds.amount * lines.net_amount / nullif(lines.order_net_amount, 0), 0), 0) as decimal(18, 4))
            as refunded_amount,
        cast(lines.net_amount * lines.rate as decimal(18, 4)) as net_amount_reporting,
        cast(coalesce(coalesce(line_refunds.reporting, 0) + coalesce(
            order_refunds.reporting * lines.net_amount / nullif(lines.order_net_amount, 0), 0), 0) as decimal(18, 4))
            as refunded_amount_reporting
    from lines
    left join line_refunds on lines.order_line_id = line_refunds.order_line_id
    left join order_refunds on lines.order_id = order_refunds.order_id
),
order_totals as (
    select order_id, sum(net_amount) as net_amount, sum(refunded_amount) as refunded_amount,
           sum(net_amount_reporting) as net_amount_reporting, sum(refunded_amount_reporting) as refunded_amount_reporting
    from lines_final group by order_id
)
select
    orders.order_id,
    coalesce(crosswalk.golden_customer_id, 'shop:' || orders.customer_id) as golden_customer_id,
    cast(orders.placed_at as date) as order_date,
    orders.currency_code,
    cast(coalesce(totals.net_amount, 0) as decimal(18, 4)) as net_amount,
    cast(coalesce(totals.refunded_amount, 0) as decimal(18, 4)) as refunded_amount,
    cast(coalesce(totals.net_amount_reporting, 0) as decimal(18, 4)) as net_amount_reporting,
    cast(coalesce(totals.refunded_amount_reporting, 0) as decimal(18, 4)) as refunded_amount_reporting,
    cast(coalesce(totals.net_amount_reporting, 0) - coalesce(totals.refunded_amount_reporting, 0) as decimal(18, 4))
        as net_amount_after_refunds_reporting
from staged_orders as orders
left join order_totals as totals on orders.order_id = totals.order_id
left join shop_crosswalk as crosswalk
    on crosswalk.source_system = 'shop' and orders.customer_id = crosswalk.source_customer_id;

-- ---- floor_customers ------------------------------------------------------------------------------------------

create or replace table floor_customers as
select
    golden_customer_id,
    count(*) as lifetime_orders,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    cast(sum(net_amount_after_refunds_reporting) as decimal(18, 4)) as lifetime_net_revenue_reporting
from floor_orders
group by golden_customer_id;

-- ---- floor_wallets --------------------------------------------------------------------------------------------

create or replace table floor_wallets as
with source as (
    select transaction_id, member_id, transaction_type, amount, points, currency_code, order_id, campaign_id,
           transacted_at, loaded_at
    from landed_parquet('loyalty/wallet_transactions')
    union all by name
    select * replace (cast(trim(amount) as double) as amount, cast(trim(points) as integer) as points,
                      cast(transacted_at as timestamp with time zone) as transacted_at,
                      cast(loaded_at as timestamp with time zone) as loaded_at)
    from landed_csv('loyalty/wallet_transactions')
),
renamed as (
    select
        clean_text(transaction_id) as transaction_id,
        clean_text(member_id) as member_id,
        lower(trim(transaction_type)) as transaction_type,
        try_cast(safe_number(amount) as decimal(18, 4)) as amount,
        source.amount is not null as has_raw_amount,
        try_cast(safe_number(points) as integer) as points,
        source.points is not null as has_raw_points,
        upper(trim(currency_code)) as currency_code,
        utc(transacted_at) as transacted_at,
        utc(loaded_at) as loaded_at,
        hash(source) as row_hash
    from source
),
staged as (
    select *
    from renamed
    where transaction_id is not null
        and not coalesce(loaded_at > getvariable('build_started_at'), false)
        and not coalesce(transacted_at > loaded_at, false)
        and currency_code in (select currency_code from currencies)
        and transaction_type in (select code from accepted_codes where code_set = 'transaction_type')
        and not (has_raw_points and points is null)
        and not (has_raw_amount and amount is null)
        and (coalesce(amount = 0, true) or has_rate(currency_code, transacted_at))
    qualify row_number() over (partition by transaction_id order by loaded_at desc, row_hash desc) = 1
)
select
    member_id,
    any_value(currency_code) as currency_code,
    cast(coalesce(sum(amount), 0) as decimal(18, 4)) as wallet_balance,
    cast(coalesce(sum(points), 0) as bigint) as points_balance
from staged
group by member_id;

-- ---- floor_dealer_months --------------------------------------------------------------------------------------

create or replace table floor_dealer_months as
with source as (
    select report_line_id, dealer_id, period_month, product_id, competitor_brand, category, quantity, revenue_amount,
           currency_code, loaded_at
    from landed_parquet('dealer_portal/dealer_sales')
    union all by name
    select * replace (cast(period_month as date) as period_month, cast(trim(quantity) as integer) as quantity,
                      cast(trim(revenue_amount) as double) as revenue_amount,
                      cast(loaded_at as timestamp with time zone) as loaded_at)
    from landed_csv('dealer_portal/dealer_sales')
),
renamed as (
    select
        clean_text(report_line_id) as report_line_id,
        clean_text(dealer_id) as dealer_id,
        cast(period_month as date) as period_month,
        try_cast(safe_number(quantity) as integer) as quantity,
        try_cast(safe_number(revenue_amount) as decimal(18, 4)) as revenue_amount,
        upper(trim(currency_code)) as currency_code,
        utc(loaded_at) as loaded_at,
        hash(source) as row_hash
    from source
),
staged as (
    select *
    from renamed
    where report_line_id is not null
        and not coalesce(loaded_at > getvariable('build_started_at'), false)
        and currency_code in (select currency_code from currencies)
        and quantity > 0
        and revenue_amount >= 0
        and (dealer_id is null or dealer_id in (
            select landed_key from landed_keys('dealer_portal/dealers', 'dealer_id')))
        and (revenue_amount = 0 or has_rate(currency_code, period_month))
    qualify row_number() over (partition by report_line_id order by loaded_at desc, row_hash desc) = 1
)
select
    staged.dealer_id,
    staged.period_month,
    count(*) as report_lines,
    sum(staged.quantity) as units,
    cast(sum(cast(staged.revenue_amount * rate_on(staged.currency_code, staged.period_month) as decimal(18, 4)))
        as decimal(18, 4)) as revenue_amount_reporting
from staged
group by staged.dealer_id, staged.period_month;

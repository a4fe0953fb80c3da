{{ config(meta={'dagster': {'ref': {'name': 'fct_referrals'}}}) }}
-- fct_referrals holds exactly one edge per staged CRM referral and per staged MDM friends-and-family link:
-- returns the edge types whose counts differ.
with referrals as (

    select * from {{ ref('fct_referrals') }}

),

staged_counts as (

    select
        'referral' as edge_type,
        count(*) as staged_rows
    from {{ ref('stg_crm__referrals') }}
    union all
    select
        'friends_family' as edge_type,
        count(*) as staged_rows
    from {{ ref('stg_mdm__friends_family') }}

),

built_counts as (

    select
        edge_type,
        count(*) as built_rows
    from referrals
    group by edge_type

)

select
    staged_counts.edge_type,
    staged_counts.staged_rows,
    coalesce(built_counts.built_rows, 0) as built_rows
from staged_counts
left join built_counts
    on staged_counts.edge_type = built_counts.edge_type
where staged_counts.staged_rows <> coalesce(built_counts.built_rows, 0)

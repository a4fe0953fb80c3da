-- One row per day of the `time_spine_start_date`..`time_spine_end_date` vars: the calendar MetricFlow joins
-- metrics to (cumulative windows, offsets, days without rows). Published with the marts so the semantic layer
-- answers from the serving file.

with calendar as (

    {{ date_series(
        "cast('" ~ var('time_spine_start_date') ~ "' as date)",
        "cast('" ~ var('time_spine_end_date') ~ "' as date)",
        'date_day'
    ) }}

),

final as (

    select date_day from calendar

)

select * from final

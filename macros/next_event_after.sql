{% macro next_event_after(events, later_events, key_column, event_at, later_at, event_columns, alias) -%}
    {#- A select: every row of `events` (the listed `event_columns`) with the earliest `later_at` of `later_events`
        sharing its `key_column` and strictly after its `event_at` (null when there is none), as `alias`. A later
        event at the very time of the event does not count. -#}
    {{ return(adapter.dispatch('next_event_after', 'relationship_warehouse')(
        events, later_events, key_column, event_at, later_at, event_columns, alias)) }}
{%- endmacro %}

{% macro duckdb__next_event_after(events, later_events, key_column, event_at, later_at, event_columns, alias) -%}
    {#- an ASOF join: both sides sorted once by key and time, no window over their union -#}
    select
        {%- for column in event_columns %}
        events.{{ column }},
        {%- endfor %}
        later_events.{{ later_at }} as {{ alias }}
    from {{ events }} as events
    asof left join (
        select
            {{ key_column }},
            {{ later_at }}
        from {{ later_events }}
        where {{ key_column }} is not null
    ) as later_events
        on
            events.{{ key_column }} = later_events.{{ key_column }}
            and later_events.{{ later_at }} > events.{{ event_at }}
{%- endmacro %}

{% macro default__next_event_after(events, later_events, key_column, event_at, later_at, event_columns, alias) -%}
    {#- one time line per key: a later event at the very time of an event sorts before it, and each event takes the
        earliest later event among the rows that follow it -#}
    select
        {%- for column in event_columns %}
        {{ column }},
        {%- endfor %}
        {{ alias }}
    from (
        select
            *,
            min(timeline_later_at) over (
                partition by {{ key_column }}
                order by timeline_at, timeline_is_event
                rows between 1 following and unbounded following
            ) as {{ alias }}
        from (
            select
                {%- for column in event_columns %}
                {{ column }},
                {%- endfor %}
                {{ event_at }} as timeline_at,
                1 as timeline_is_event,
                cast(null as timestamp) as timeline_later_at
            from {{ events }}

            union all

            select
                {%- for column in event_columns %}
                {{ 'null' if column != key_column else key_column }} as {{ column }},
                {%- endfor %}
                {{ later_at }} as timeline_at,
                0 as timeline_is_event,
                {{ later_at }} as timeline_later_at
            from {{ later_events }}
            where {{ key_column }} is not null
        ) as events_and_later_events
    ) as timeline
    where timeline_is_event = 1
{%- endmacro %}

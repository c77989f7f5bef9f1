-- One row per (file row, rule broken) the ingest kept out of a raw table. The rejected value is
-- left behind in raw: the data-quality table needs only where and why.
with

source as (
    select * from {{ source('ingest', 'quarantine') }}
),

renamed as (
    select
        source as source_name,
        file_name,
        file_sha256,
        source_row,
        column_name,
        rule,
        loaded_at
    from source
)

select * from renamed

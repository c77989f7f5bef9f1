-- publish.manifest from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.manifest
select * from publish.manifest

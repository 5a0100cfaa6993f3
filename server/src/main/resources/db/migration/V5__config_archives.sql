-- A task's configuration is either the seed's inline tf_json or a directory uploaded as a checked tar.gz archive.
alter table tasks alter column tf_json drop not null;
alter table tasks add column config_archive bytea;
alter table tasks add column config_sha256 text;
alter table tasks add constraint tasks_one_configuration check ((tf_json is null) <> (config_archive is null));

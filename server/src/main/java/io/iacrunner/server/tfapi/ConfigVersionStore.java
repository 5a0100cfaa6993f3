package io.iacrunner.server.tfapi;

import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** All SQL about the configurations Terraform's {@code cloud} block uploads for its runs. */
final class ConfigVersionStore {
    private final Jdbi jdbi;

    ConfigVersionStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** A configuration version: {@code speculative} ones make plan-only runs; {@code uploaded} once its archive is. */
    record ConfigVersion(String id, String workspaceId, boolean speculative, boolean uploaded) {}

    void insert(String id, String workspaceId, boolean speculative, String secretSha256, String createdBy) {
        jdbi.useHandle(h -> h.createUpdate("""
                        insert into tfe_configuration_versions
                            (cv_id, workspace_id, speculative, upload_secret_sha256, created_by)
                        values (:id, :ws, :speculative, :secret, :by)""")
                .bind("id", id)
                .bind("ws", workspaceId)
                .bind("speculative", speculative)
                .bind("secret", secretSha256)
                .bind("by", createdBy)
                .execute());
    }

    Optional<ConfigVersion> find(String id) {
        return find(id, null);
    }

    /** The version, if {@code secretSha256} is its upload secret's (null: whatever its secret). */
    Optional<ConfigVersion> find(String id, String secretSha256) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select cv_id, workspace_id, speculative, archive is not null as uploaded
                        from tfe_configuration_versions
                        where cv_id = :id and (cast(:secret as text) is null or upload_secret_sha256 = :secret)""")
                .bind("id", id)
                .bind("secret", secretSha256)
                .map((rs, ctx) -> new ConfigVersion(
                        rs.getString("cv_id"),
                        rs.getString("workspace_id"),
                        rs.getBoolean("speculative"),
                        rs.getBoolean("uploaded")))
                .findOne());
    }

    /** Stores the archive of the version whose upload secret this is, once: false for any other secret or a second upload. */
    boolean upload(String id, String secretSha256, byte[] archive) {
        return jdbi.withHandle(h -> h.createUpdate("""
                                update tfe_configuration_versions set archive = :archive
                                where cv_id = :id and upload_secret_sha256 = :secret and archive is null""")
                        .bind("id", id)
                        .bind("secret", secretSha256)
                        .bind("archive", archive)
                        .execute())
                == 1;
    }

    Optional<byte[]> archive(String id) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select archive from tfe_configuration_versions where cv_id = :id and archive is not null")
                .bind("id", id)
                .mapTo(byte[].class)
                .findOne());
    }

    /** Its run has its own copy of the archive now; nothing else reads a used version. */
    void delete(String id) {
        jdbi.useHandle(h -> h.createUpdate("delete from tfe_configuration_versions where cv_id = :id")
                .bind("id", id)
                .execute());
    }
}

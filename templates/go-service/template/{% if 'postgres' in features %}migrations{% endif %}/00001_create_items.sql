-- The example table of internal/store. Replace it with your own; goose
-- applies the files in version order, each in a transaction.

-- +goose Up
CREATE TABLE items (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT items_owner_name_key UNIQUE (owner_id, name)
);
CREATE INDEX items_created_at_idx ON items (created_at, id);

-- +goose Down
DROP TABLE items;

#!/usr/bin/env python3
"""Pack a directory as a one-layer OCI image archive, without Docker or a registry.

Usage: mkimage.py ROOTFS_DIR NAME:TAG OUT.tar [ENTRYPOINT ARG...]

The test cluster has no registry to pull from, so images it needs that Docker
does not have (the pod sandbox's pause image) are packed here and loaded with
`ctr -n k8s.io images import OUT.tar`. The archive is reproducible: files are
owned by root, mtimes are zero and entries are sorted.
"""

import hashlib
import io
import json
import os
import sys
import tarfile


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(rootfs: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in dirnames + sorted(filenames):
                path = os.path.join(dirpath, name)
                info = tar.gettarinfo(path, arcname=os.path.relpath(path, rootfs))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rootfs, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
    entrypoint = sys.argv[4:] or None
    layer = layer_tar(rootfs)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Entrypoint": entrypoint, "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(layer),
                    "size": len(layer),
                }
            ],
        },
        sort_keys=True,
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest(manifest),
                    "size": len(manifest),
                    "platform": {"architecture": "amd64", "os": "linux"},
                    # containerd names the imported image after this annotation.
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                    },
                }
            ],
        },
        sort_keys=True,
    ).encode()
    with tarfile.open(out, "w") as tar:

        def add(path: str, data: bytes) -> None:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        for blob in (layer, config, manifest):
            add("blobs/sha256/" + digest(blob)[len("sha256:") :], blob)
        add("index.json", index)
    print(f"{out}: {name} ({len(layer)} byte layer)")


if __name__ == "__main__":
    main()

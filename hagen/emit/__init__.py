"""emit: the output tree, written incrementally through a journal, each distinct file stored once.

Layout for `--out out` (the default):

    out -> .out.d/tree                    a relative symlink, made once by the first build
    .out.d/                               the store, 0700: only its owner reads the tree,
                                          the manifest and the objects' names (sha256 of secrets)
    .out.d/lock                           flock, held by a build (or push) from start to end
    .out.d/apply.lock                     flock: exclusive while a journal is applied, shared by readers
    .out.d/objects/ab/<sha256>-0644       every distinct content+mode, once
    .out.d/tree/<host>/<path>             hard links to the objects (or symbolic links)
    .out.d/tree/.hagen/manifest.json      0600, what the tree holds (hagen.emit.manifest)
    .out.d/inputs.json                    0600, what the tree was built from and the manifest's sha256
    .out.d/journal.json                   only while a build applies its changes
    .out.d/nodes.json                     0600, what each node holds (hagen.emit.nodes): written by
                                          gather and push, an input of the next build
    .out.d/nodes.journal                  0600, what nodes confirmed while a push runs (hagen.emit.nodes)
    anything else                         never touched here

A build writes only what changed (hagen.emit.commit, on the store OutputTree holds locked):
1. every new content becomes an object (a temporary file renamed into place);
2. the tree is compared with the files wanted, file by file (an unchanged file is a hard
   link to its object's inode), and the differences become a journal (hagen.emit.journal)
   of operations, each knowing what it replaces; the journal is fsynced, then
   (a build that has just found the tree intact under its lock, as the up-to-date verdict
   does from PostgreSQL, compares the manifest with the files wanted instead: the same
   operations without looking at every file twice)
3. applied under the exclusive apply lock: each operation is a link (or symlink) made at a
   temporary name then renamed over the file, or a removal; then the manifest is renamed
   into place, inputs.json written, and the journal removed. Unchanged files, and the
   folders of untouched hosts, are never touched: they keep their inode and mtime.

The promises, and why they hold:
- A failed build changes nothing: everything before the journal only adds objects beside
  the tree; an error in the apply undoes the operations done (each knows what it replaced).
- A build killed at any point leaves the old or the new tree once the next hagen command
  runs: killed before the journal is renamed into place, the tree is the old one (objects
  not yet used are collected later); killed after, the next hagen command rolls the
  journal forward (its operations are idempotent), or back when forward fails: taking
  the lock does it (build, push), and so does an OutputTree's first read (diff, explain,
  render), or `OutputTree.reading()`.
  The first build of a store makes the whole tree beside (`tree.new`) and renames it into
  place before making `out`, so a kill there leaves no `out` at all (the old state).
  `tree.new` is made by this build inside the 0700 store, so its folders and links are
  made by names relative to it, each once, with no descriptor per folder.
- One build at a time: `lock`. Readers never see a half-applied tree: `reading()` holds
  the apply lock shared, and waits for a pending journal to be finished first.
- Nothing in the store is trusted between runs (hagen.emit.store): every file is opened
  without following links and replaced by rename only, the manifest and the journal are
  validated when read (an invalid one is treated as absent and the tree is then walked and
  repaired), a no-op build requires inputs.json to name the manifest's sha256, and `out`
  is only ever replaced when it is missing or is hagen's own link: a folder or file that
  hagen did not make is refused, never moved or deleted.

Mind the hard links: a file shared by many hosts is one inode, so editing one copy in
place edits them all. hagen checks each object against its sha256 before reusing it, or
against the inode, size, mtime and ctime it recorded when the last build ended (a write,
a chmod or a touch moves the ctime, and no user can set it back).

A symbolic link (an OutFile with a link_target: /usr/sbin/lustre_failover_xena1 ->
/usr/sbin/lustre_failover) is written as a real symlink, as it must be on the node (its
target is not rewritten into out/, so it may dangle here), and appears in the manifest as
{"type": "symlink", "target": ...} instead of a mode and a sha256.

Trees of the hagen that kept generations (out -> .out.d/gen-N) are converted by their
next build in place: the generation is renamed into the tree, out pointed at it (a kill
in between is mended by the next command), and that build goes on incrementally.
"""

from hagen.emit.confine import confined
from hagen.emit.manifest import (MANIFEST, MANIFEST_FORMAT, ManifestEntry, OutFile, expand, manifest_bytes,
                                 manifest_of, same_file, valid_manifest)
from hagen.emit.tree import EmitResult, OutputTree

__all__ = ["MANIFEST", "MANIFEST_FORMAT", "EmitResult", "ManifestEntry", "OutFile", "OutputTree", "confined",
           "expand", "manifest_bytes", "manifest_of", "same_file", "valid_manifest"]

#!/usr/bin/env python3
"""Build compact MITRE ATT&CK Enterprise technique and tactic tables.

Reads either
  * a checkout of https://github.com/mitre/cti (one STIX object per file under
    enterprise-attack/attack-pattern/, x-mitre-tactic/, x-mitre-matrix/,
    relationship/), with --cti DIR, or
  * a whole STIX bundle (enterprise-attack.json from mitre/cti, or
    enterprise-attack-<ver>.json from mitre-attack/attack-stix-data), with
    --bundle FILE,
and writes techniques.json and tactics.json into --out (default: data/attack/
of the Warden repository this script lives in; src/enrichment/attack/ reads them there).

The ATT&CK release (e.g. "18.1") is not stored in the per-object files of
mitre/cti; pass it with --attack-version (mitre/cti tags releases as
"ATT&CK-v18.1"; the commit message of a release says "ATT&CK v18.1 Enterprise").
attack-stix-data bundles carry an x-mitre-collection object whose
x_mitre_version is used when --attack-version is not given.

Only the Python standard library is used.

Example (what produced data/attack/):
  python3 scripts/build-attack-table.py --cti path/to/mitre-cti --attack-version 18.1 \
      --source "mitre/cti@421deacb77191b38bdd1bf63268954e93da91365"
"""
import argparse
import glob
import json
import os
import re
import sys

DOMAIN = "enterprise-attack"


def load_objects_from_cti(cti_dir):
    base = os.path.join(cti_dir, DOMAIN)
    if not os.path.isdir(base):
        sys.exit("no %s folder under %s" % (DOMAIN, cti_dir))
    objs = []
    for sub in ("attack-pattern", "x-mitre-tactic", "x-mitre-matrix", "relationship"):
        files = sorted(glob.glob(os.path.join(base, sub, "*.json")))
        if not files and sub != "relationship":
            sys.exit("no files in %s" % os.path.join(base, sub))
        for f in files:
            with open(f, encoding="utf-8") as fh:
                data = json.load(fh)
            objs.extend(data.get("objects", [data]) if data.get("type") == "bundle" else [data])
    return objs


def load_objects_from_bundle(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["objects"]


def attack_id(obj):
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"]
    return None


def id_key(tid):
    # T1059.001 -> (1059, 1); TA0001 -> (1, 0)
    m = re.match(r"^[A-Z]+(\d+)(?:\.(\d+))?$", tid)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (sys.maxsize, 0)


def in_domain(obj):
    doms = obj.get("x_mitre_domains")
    return doms is None or DOMAIN in doms


def build(objs, attack_version, source):
    by_stix = {o["id"]: o for o in objs if "id" in o}

    if attack_version is None:
        for o in objs:
            if o.get("type") == "x-mitre-collection" and o.get("x_mitre_version"):
                attack_version = o["x_mitre_version"]
                break
    if attack_version is None:
        sys.exit("ATT&CK version unknown: pass --attack-version (e.g. 18.1)")

    revoked_by = {}
    for o in objs:
        if o.get("type") == "relationship" and o.get("relationship_type") == "revoked-by":
            revoked_by[o["source_ref"]] = o["target_ref"]

    def final_target(stix_id):
        seen = set()
        while stix_id in revoked_by and stix_id not in seen:
            seen.add(stix_id)
            stix_id = revoked_by[stix_id]
        return stix_id

    # tactics, in matrix order where a matrix is present
    tactic_objs = [o for o in objs if o.get("type") == "x-mitre-tactic" and in_domain(o)]
    order = []
    for o in objs:
        if o.get("type") == "x-mitre-matrix" and attack_id(o) == DOMAIN:
            order = o.get("tactic_refs", [])
    pos = {sid: i for i, sid in enumerate(order)}
    tactic_objs.sort(key=lambda o: (pos.get(o["id"], len(pos)), id_key(attack_id(o) or "")))
    tactics = []
    for o in tactic_objs:
        tactics.append({
            "id": attack_id(o),
            "shortname": o.get("x_mitre_shortname"),
            "name": o.get("name"),
            "matrix_order": pos.get(o["id"]),
            "deprecated": bool(o.get("x_mitre_deprecated", False)),
            "revoked": bool(o.get("revoked", False)),
            "stix_id": o["id"],
        })

    techniques = []
    for o in objs:
        if o.get("type") != "attack-pattern" or not in_domain(o):
            continue
        tid = attack_id(o)
        if tid is None:
            continue
        is_sub = bool(o.get("x_mitre_is_subtechnique", False))
        rb = revoked_by.get(o["id"])
        rb_final = final_target(o["id"]) if rb else None
        techniques.append({
            "id": tid,
            "name": o.get("name"),
            "tactics": [p["phase_name"] for p in o.get("kill_chain_phases", [])
                        if p.get("kill_chain_name") == "mitre-attack"],
            "is_subtechnique": is_sub,
            "parent": tid.split(".")[0] if is_sub else None,
            "platforms": o.get("x_mitre_platforms", []),
            "deprecated": bool(o.get("x_mitre_deprecated", False)),
            "revoked": bool(o.get("revoked", False)),
            "revoked_by": attack_id(by_stix[rb]) if rb in by_stix else None,
            "revoked_by_final": attack_id(by_stix[rb_final]) if rb_final in by_stix else None,
            "stix_id": o["id"],
            "attack_version": attack_version,
        })
    # current objects first when the same ATT&CK id appears twice
    techniques.sort(key=lambda t: (id_key(t["id"]), t["revoked"], t["deprecated"], t["stix_id"]))

    meta = {
        "domain": DOMAIN,
        "attack_version": attack_version,
        "source": source,
        "license": "ATT&CK(R) terms of use; see SOURCES.md. "
                   "\u00a9 The MITRE Corporation. This work is reproduced and distributed "
                   "with the permission of The MITRE Corporation.",
    }
    return meta, techniques, tactics


def write_compact(path, meta, key, rows):
    # compact JSON, one record per line (valid JSON, diff-friendly)
    with open(path, "w", encoding="utf-8") as fh:
        head = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))[:-1]
        fh.write(head + ',"count":%d,"%s":[\n' % (len(rows), key))
        fh.write(",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows))
        fh.write("\n]}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--cti", help="path to a mitre/cti checkout")
    src.add_argument("--bundle", help="path to an enterprise-attack STIX bundle")
    ap.add_argument("--attack-version", help="ATT&CK release, e.g. 18.1")
    ap.add_argument("--source", default="", help="free text recorded in the output, e.g. repo@commit")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "attack"))
    args = ap.parse_args()

    objs = load_objects_from_cti(args.cti) if args.cti else load_objects_from_bundle(args.bundle)
    meta, techniques, tactics = build(objs, args.attack_version, args.source)
    os.makedirs(args.out, exist_ok=True)
    write_compact(os.path.join(args.out, "techniques.json"), meta, "techniques", techniques)
    write_compact(os.path.join(args.out, "tactics.json"), meta, "tactics", tactics)
    print("techniques: %d (sub-techniques %d, revoked %d, deprecated %d); tactics: %d" % (
        len(techniques), sum(t["is_subtechnique"] for t in techniques),
        sum(t["revoked"] for t in techniques), sum(t["deprecated"] for t in techniques), len(tactics)))


if __name__ == "__main__":
    main()

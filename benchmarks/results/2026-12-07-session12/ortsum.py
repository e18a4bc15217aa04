import json, sys, collections
d = json.load(open(sys.argv[1]))
per = collections.defaultdict(list)
for e in d:
    if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
        per[e["name"][:-12]].append((e["dur"], e["args"].get("op_name")))
rows = []
for k, v in per.items():
    ds = sorted(x[0] for x in v[5:]) or sorted(x[0] for x in v)
    rows.append((ds[len(ds)//2], k, v[0][1]))
rows.sort(reverse=True)
print("total", sum(r[0] for r in rows))
for r in rows[:int(sys.argv[2])]: print("%6d %-12s %s" % (r[0], r[2], r[1]))

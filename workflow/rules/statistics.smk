# Group statistics on edges (statistics: variable): which connections differ
# between groups or vary with a number, at a controlled family-wise error.


# The demo's participants: its groups (and the planted difference's patients).
rule demo_participants:
    output:
        table=DEMO_PARTICIPANTS,
    log:
        "results/logs/demo_participants.log",
    benchmark:
        "results/benchmarks/demo_participants.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    params:
        subjects=list(INCLUDED.index),
        seed=config["demo"]["seed"],
    script:
        "../scripts/demo_participants.py"


# Who is modelled, with which values, and who is left out and why.
rule statistics_design:
    input:
        participants=PARTICIPANTS_FILE,
        qc=qc_table_if_modelled,
        exclusions=exclusions_if_checking,
    output:
        table=f"{STATISTIC}_design.tsv",
        sidecar=f"{STATISTIC}_design.json",
    log:
        f"results/logs/statistics_design/contrast-{CONTRAST}.log",
    benchmark:
        f"results/benchmarks/statistics_design/contrast-{CONTRAST}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    params:
        model=pick("statistics", MODEL_KEYS),
        participants=group_participants,
    script:
        "../scripts/statistics_design.py"


# Per edge: t, max-T and network-based family-wise p, and the significant edges.
rule edge_statistics:
    input:
        design=rules.statistics_design.output.table,
        design_sidecar=rules.statistics_design.output.sidecar,
        relmats=every_run(f"{RELMAT}.tsv"),
        sidecars=every_run(f"{RELMAT}.json"),
        regions=REGIONS.table,
    output:
        t=f"{EDGE_STATISTIC}_stat-t_relmat.tsv",
        t_sidecar=f"{EDGE_STATISTIC}_stat-t_relmat.json",
        p_fwe=f"{EDGE_STATISTIC}_stat-pfwe_relmat.tsv",
        p_fwe_sidecar=f"{EDGE_STATISTIC}_stat-pfwe_relmat.json",
        p_nbs=f"{EDGE_STATISTIC}_stat-pnbs_relmat.tsv",
        p_nbs_sidecar=f"{EDGE_STATISTIC}_stat-pnbs_relmat.json",
        edges=f"{EDGE_STATISTIC}_edges.tsv",
    log:
        f"results/logs/edge_statistics/contrast-{CONTRAST}_meas-{{kind}}.log",
    benchmark:
        f"results/benchmarks/edge_statistics/contrast-{CONTRAST}_meas-{{kind}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=60,
    params:
        kind=kind_of,
        inference=pick("statistics", INFERENCE_KEYS),
    script:
        "../scripts/edge_statistics.py"


rule plot_statistics:
    input:
        t=rules.edge_statistics.output.t,
        p_fwe=rules.edge_statistics.output.p_fwe,
        p_nbs=rules.edge_statistics.output.p_nbs,
        t_sidecar=rules.edge_statistics.output.t_sidecar,
        regions=REGIONS.table,
    output:
        report(
            f"{STATISTICS_FIGURE}",
            category="Group statistics",
            caption="../report/statistics.rst",
            labels={"kind": "{kind}"},
        ),
    log:
        f"results/logs/plot_statistics/contrast-{CONTRAST}_meas-{{kind}}.log",
    benchmark:
        f"results/benchmarks/plot_statistics/contrast-{CONTRAST}_meas-{{kind}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        alpha=config["statistics"]["alpha"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_statistics.py"

"""The report's methods note: the conventions every test and estimate was computed by.

Read from the analysis plan the result was computed under (`AnalysisResult.plan`), so the note
changes with the plan; where the plan departs from a common default, the note says so.
"""

from __future__ import annotations

from cairo6.protocol.models import AnalysisPlan, Methods

__all__ = ["methods_note"]


def _percent(level: float) -> str:
    return f"{100 * level:g}%"


def methods_note(plan: AnalysisPlan | None) -> list[str]:
    """One paragraph per topic: categorical tests, continuous tests, survival, rounding."""
    methods = plan.methods if plan is not None else Methods()
    level = _percent(plan.ci_level if plan is not None else 0.95)
    lines = []
    if plan is not None:
        categorical = plan.categorical_rule
        correction = " with Yates' correction" if categorical.chi2_correction else ""
        lines.append(
            "Categorical outcomes: Pearson chi-square test"
            f"{correction}, or Fisher's exact test (two-sided, R fisher.test / SAS PROC FREQ) "
            f"when an expected count is below {categorical.expected_below:g}, unless the analysis "
            "plan names a test for the endpoint. Where the plan forces chi-square on a table "
            f"with an expected count below {categorical.expected_below:g}, the P value is flagged: "
            "Fisher's exact test would be the usual choice there. Risk ratios with log (Katz) "
            f"{level} CIs; 0.5 is added to every cell when an arm has no events (flagged); "
            f"proportions with exact (Clopper-Pearson) {level} CIs."
        )
    if methods.mann_whitney == "exact":
        rank_test = "exact permutation distribution of the rank sum (SAS EXACT WILCOXON)"
    else:
        rank_test = (
            "normal approximation with tie and continuity correction (SAS PROC NPAR1WAY's "
            f"default); P values in arms under {methods.small_arm} are flagged, as the exact "
            "test (SAS EXACT WILCOXON, R wilcox.test(exact = TRUE)) is then preferable"
        )
    lines.append(
        "Continuous outcomes: t test with pooled variance, or the Mann-Whitney U test by "
        f"{rank_test}. Medians and quartiles by SAS QNTLDEF=5 (R quantile type 2)."
    )
    median = (
        "the midpoint of the interval where the curve equals 0.5 (R survfit, SAS PROC LIFETEST)"
        if methods.median_rule == "midpoint"
        else "the first time the curve is at or below 0.5"
    )
    lines.append(
        f"Survival: Kaplan-Meier estimates with {level} pointwise CIs on the "
        f"{methods.km_ci_transform} scale (Greenwood variance); medians at {median}, with "
        "Brookmeyer-Crowley CIs read from the same band (a limit is not reached, NR, where the "
        "band does not fall to 0.5, e.g. where the curve drops to 0 and the variance is "
        "infinite); median follow-up by reverse Kaplan-Meier. Log-rank test (no test without "
        f"events). Cox proportional-hazards model with {methods.cox_ties.capitalize()} ties, "
        "fitted by Newton-Raphson to a relative change of the log partial likelihood of at "
        f"most {methods.cox_tolerance:g} within {methods.cox_max_iterations} iterations "
        "(R coxph defaults), Wald CIs; the hazard ratio is not estimable where the likelihood "
        "has no finite maximum (e.g. all events in one arm), and the report says why."
    )
    lines.append(
        "Numbers are rounded half up as JAMA asks; missing values are excluded, not imputed. "
        "Every statistic, its test statistic and degrees of freedom and the conventions above "
        "are in ard.csv."
    )
    return lines

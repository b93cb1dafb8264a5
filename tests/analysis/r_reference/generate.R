# Reference values from R's survival package for tests/analysis/test_r_reference.py.
#
#   Rscript generate.R datasets.csv.gz reference.csv
#
# Reads the datasets written by generate.py (columns dataset, time, event, arm with arm "c" =
# control, "e" = experimental) and writes one row per dataset with, for the control arm, the
# experimental arm and both together ("total"):
#   Kaplan-Meier median and its 95% CI, log-log band (survfit(conf.type = "log-log") and
#   quantile()) and log band (conf.type = "log"); the 36-month rate with its log-log CI
#   (summary(fit, times = 36)); the median follow-up by reverse Kaplan-Meier with its CI;
# and between the arms: the log-rank chi-square and P (survdiff), the Cox coefficient, SE,
# hazard ratio and Wald 95% CI with Efron ties (coxph's default) and with Breslow ties, and
# whether coxph warned that the coefficient may be infinite or did not converge.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(gzfile(args[1]), colClasses = c("integer", "numeric", "integer", "character"))
HORIZON <- 36

num <- function(x) if (length(x) == 0 || is.null(x) || !is.finite(x)) "NA" else sprintf("%.17g", x)

median_ci <- function(time, status, type) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = type)
  q <- quantile(fit, 0.5)
  c(q$quantile[[1]], q$lower[[1]], q$upper[[1]])
}

landmark <- function(time, status) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
  if (HORIZON > max(time)) return(c(NA, NA, NA))
  s <- summary(fit, times = HORIZON, extend = FALSE)
  c(s$surv[1], s$lower[1], s$upper[1])
}

cox <- function(d, ties) {
  warned <- ""
  fit <- withCallingHandlers(
    tryCatch(coxph(Surv(time, event) ~ x, data = d, ties = ties), error = function(e) NULL),
    warning = function(w) {
      warned <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    }
  )
  if (is.null(fit) || is.na(coef(fit)[[1]])) return(list(v = rep(NA, 5), warned = "error"))
  b <- coef(fit)[[1]]
  se <- sqrt(vcov(fit)[1, 1])
  z <- qnorm(0.975)
  flag <- if (grepl("infinite", warned)) "infinite" else if (grepl("converge", warned)) "iterations" else ""
  list(v = c(b, se, exp(b), exp(b - z * se), exp(b + z * se)), warned = flag)
}

rows <- list()
for (id in sort(unique(data$dataset))) {
  d <- data[data$dataset == id, ]
  d$x <- as.integer(d$arm == "e")
  out <- c(dataset = as.character(id))
  for (g in c("control", "experimental", "total")) {
    part <- if (g == "total") d else d[d$arm == (if (g == "control") "c" else "e"), ]
    ll <- median_ci(part$time, part$event, "log-log")
    lg <- median_ci(part$time, part$event, "log")
    lm <- landmark(part$time, part$event)
    fu <- median_ci(part$time, 1 - part$event, "log-log")
    vals <- c(ll, lg[2:3], lm, fu)
    names(vals) <- paste0(g, "_", c("median", "lcl", "ucl", "lcl_log", "ucl_log",
                                    "s36", "s36_lcl", "s36_ucl", "fu", "fu_lcl", "fu_ucl"))
    out <- c(out, sapply(vals, num))
  }
  lr <- if (sum(d$event) == 0) NULL else tryCatch(survdiff(Surv(time, event) ~ x, data = d), error = function(e) NULL)
  chisq <- if (is.null(lr) || !is.finite(lr$chisq)) NA else lr$chisq
  # survdiff's degrees of freedom: groups with a positive expected count, minus one.
  df <- if (is.null(lr)) NA else sum(lr$exp > 0) - 1
  out <- c(out, logrank_chisq = num(chisq), logrank_df = num(df),
           logrank_p = num(if (is.na(chisq)) NA else pchisq(chisq, 1, lower.tail = FALSE)))
  for (ties in c("efron", "breslow")) {
    fit <- cox(d, ties)
    vals <- sapply(fit$v, num)
    names(vals) <- paste0("cox_", ties, "_", c("coef", "se", "hr", "lcl", "ucl"))
    out <- c(out, vals)
    out[[paste0("cox_", ties, "_warning")]] <- fit$warned
  }
  rows[[length(rows) + 1]] <- out
}
table <- do.call(rbind, rows)
write.csv(table, args[2], row.names = FALSE, quote = FALSE)

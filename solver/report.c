#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "mesh.h"
#include "output.h"
#include "run.h"
#include "scenario.h"

#define MAXG FM_SCENARIO_MAX_GROUPS /* the materials a scenario follows */
#define MAXA FM_PLOT_MAX

typedef struct {
  int na, ng;
  double age[MAXA], mass[MAXA], ext[MAXA], cycles[MAXA];
  int nodes[MAXA];
  char group[MAXG][FM_NAME_MAX];
  double vm[MAXG][MAXA], sstat[MAXG][MAXA], sfat[MAXG][MAXA], dyear[MAXG][MAXA],
      dcum[MAXG][MAXA], at[MAXG][MAXA][3];
  double design_life; /* NAN in a table of a femora before 2026-12-07 */
} Table;

/* One CSV field at s (quoted or not) into out; where it ends (at the
 * comma after it), or NULL. */
static const char *csv_field(const char *s, char *out, size_t cap) {
  size_t k = 0;
  if (*s != '"') {
    while (*s && *s != ',' && *s != '\n' && k + 1 < cap)
      out[k++] = *s++;
    out[k] = 0;
    return *s == ',' ? s : NULL;
  }
  for (s++;; s++) {
    if (!*s)
      return NULL;
    if (*s == '"') {
      if (s[1] != '"')
        break;
      s++;
    }
    if (k + 1 < cap)
      out[k++] = *s;
  }
  out[k] = 0;
  return s + 1;
}

static int read_csv(const char *path, Table *t) {
  FILE *fp = fopen(path, "r");
  if (!fp)
    return fm_error("%s: cannot open (femora report needs the results of "
                    "femora scenario)",
                    path);
  char line[2048];
  int ln = 1, ierr = 0;
  if (!fgets(line, sizeof line, fp) || strncmp(line, "age,", 4)) {
    fclose(fp);
    return fm_error("%s: line 1: not a scenario table (header missing)", path);
  }
  memset(t, 0, sizeof *t);
  t->design_life = NAN;
  while (fgets(line, sizeof line, fp)) {
    ln++;
    double age, mass, ext, cyc, vm, ss, sf, dy, dc, ax, ay, az, life = NAN;
    int nodes;
    char g[FM_NAME_MAX];
    /* nan fields are written as "nan": strtod reads them; the group is
     * quoted as RFC 4180 has it where it holds a comma or a quote */
    int used = 0;
    const char *rest = NULL;
    if (sscanf(line, "%lg,%lg,%lg,%lg,%d,%n", &age, &mass, &ext, &cyc, &nodes,
               &used) == 5 &&
        used > 0)
      rest = csv_field(line + used, g, sizeof g);
    int nf = 0;
    if (rest && *rest == ',')
      nf = sscanf(rest + 1, "%lg,%lg,%lg,%lg,%lg,%lg,%lg,%lg,%lg", &vm, &ss,
                  &sf, &dy, &dc, &ax, &ay, &az, &life);
    if (nf != 8 && nf != 9) {
      ierr = fm_error("%s: line %d: malformed row", path, ln);
      break;
    }
    int a = t->na - 1;
    if (a < 0 || t->age[a] != age) {
      if (t->na == MAXA) {
        ierr = fm_error("%s: line %d: more than %d ages", path, ln, MAXA);
        break;
      }
      a = t->na++;
      t->age[a] = age;
      t->mass[a] = mass;
      t->ext[a] = ext;
      t->cycles[a] = cyc;
      t->nodes[a] = nodes;
    }
    int k = -1;
    for (int j = 0; j < t->ng; j++)
      if (!strcmp(t->group[j], g))
        k = j;
    if (k < 0) {
      if (t->ng == MAXG) {
        ierr = fm_error("%s: line %d: more than %d materials", path, ln, MAXG);
        break;
      }
      k = t->ng++;
      snprintf(t->group[k], FM_NAME_MAX, "%s", g);
      for (int j = 0; j < MAXA; j++)
        t->vm[k][j] = t->sstat[k][j] = t->sfat[k][j] = t->dyear[k][j] =
            t->dcum[k][j] = NAN;
    }
    if (isnan(t->design_life))
      t->design_life = life;
    t->vm[k][a] = vm;
    t->sstat[k][a] = ss;
    t->sfat[k][a] = sf;
    t->dyear[k][a] = dy;
    t->dcum[k][a] = dc;
    t->at[k][a][0] = ax;
    t->at[k][a][1] = ay;
    t->at[k][a][2] = az;
  }
  fclose(fp);
  if (!ierr && t->na == 0)
    ierr = fm_error("%s: no rows", path);
  return ierr;
}

static const char *colour[8] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

/* A line plot of ns series y[s][0..n) against x[0..n); log10 axis when logy
 * (non-positive values left out).  Non-finite values are gaps. */
void fm_svg_plot(FILE *fp, const char *title, const char *xlabel,
                 const char *ylabel, int n, const double *x, int ns,
                 const char (*names)[FM_NAME_MAX], double y[][MAXA], int logy) {
  const double W = 560, H = 300, L = 70, R = 130, T = 30, B = 45;
  double x0 = x[0], x1 = x[n - 1], y0 = INFINITY, y1 = -INFINITY;
  for (int s = 0; s < ns; s++)
    for (int i = 0; i < n; i++) {
      double v = y[s][i];
      if (!isfinite(v) || (logy && v <= 0))
        continue;
      if (logy)
        v = log10(v);
      y0 = fmin(y0, v);
      y1 = fmax(y1, v);
    }
  fprintf(fp,
          "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
          "height=\"%g\" viewBox=\"0 0 %g %g\" role=\"img\">\n",
          W, H, W, H);
  fprintf(fp, "<text x=\"%g\" y=\"18\" font-size=\"14\" font-weight=\"bold\">",
          L);
  fm_xml_text(fp, title);
  fputs("</text>\n", fp);
  if (!isfinite(y0)) {
    fprintf(fp,
            "<text x=\"%g\" y=\"%g\" font-size=\"13\">no finite values "
            "(infinite life or not assessed)</text></svg></figure>\n",
            L, H / 2);
    return;
  }
  if (y1 - y0 < 1e-12 * fmax(1.0, fabs(y1))) {
    y0 -= logy ? 0.5 : fmax(0.05 * fabs(y0), 1e-12);
    y1 += logy ? 0.5 : fmax(0.05 * fabs(y1), 1e-12);
  }
  if (x1 <= x0)
    x1 = x0 + 1;
  const double pw = W - L - R, ph = H - T - B;
#define PX(v) (L + ((v)-x0) / (x1 - x0) * pw)
#define PY(v) (T + ph - ((v)-y0) / (y1 - y0) * ph)
  fprintf(fp,
          "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
          "stroke=\"#444\"/>\n",
          L, T, pw, ph);
  for (int k = 0; k <= 4; k++) {
    const double v = y0 + (y1 - y0) * k / 4.0, py = PY(v);
    fprintf(fp,
            "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" "
            "stroke=\"#ddd\"/><text x=\"%g\" y=\"%.1f\" font-size=\"11\" "
            "text-anchor=\"end\">%.3g</text>\n",
            L, py, L + pw, py, L - 4, py + 4, logy ? pow(10, v) : v);
  }
  for (int i = 0; i < n; i++)
    fprintf(fp,
            "<text x=\"%.1f\" y=\"%g\" font-size=\"11\" "
            "text-anchor=\"middle\">%g</text>\n",
            PX(x[i]), T + ph + 15, x[i]);
  fprintf(fp,
          "<text x=\"%g\" y=\"%g\" font-size=\"12\" "
          "text-anchor=\"middle\">",
          L + pw / 2, H - 8);
  fm_xml_text(fp, xlabel);
  fputs("</text>\n", fp);
  fprintf(fp,
          "<text x=\"14\" y=\"%g\" font-size=\"12\" text-anchor=\"middle\" "
          "transform=\"rotate(-90 14 %g)\">",
          T + ph / 2, T + ph / 2);
  fm_xml_text(fp, ylabel);
  fputs(logy ? " (log scale)</text>\n" : "</text>\n", fp);
  for (int s = 0; s < ns; s++) {
    const char *c = colour[s % 8];
    fprintf(
        fp,
        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
        c);
    for (int i = 0; i < n; i++) {
      double v = y[s][i];
      if (!isfinite(v) || (logy && v <= 0))
        continue;
      if (logy)
        v = log10(v);
      fprintf(fp, "%.1f,%.1f ", PX(x[i]), PY(v));
    }
    fputs("\"/>\n", fp);
    for (int i = 0; i < n; i++) {
      double v = y[s][i];
      if (!isfinite(v) || (logy && v <= 0))
        continue;
      if (logy)
        v = log10(v);
      fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
              PX(x[i]), PY(v), c);
    }
    fprintf(fp,
            "<rect x=\"%g\" y=\"%g\" width=\"12\" height=\"3\" fill=\"%s\"/>"
            "<text x=\"%g\" y=\"%g\" font-size=\"12\">",
            L + pw + 10, T + 10 + 18 * s, c, L + pw + 26, T + 14 + 18 * s);
    fm_xml_text(fp, names[s]);
    fputs("</text>\n", fp);
  }
#undef PX
#undef PY
  fputs("</svg></figure>\n", fp);
}

int fm_report_write(const char *outdir) {
  char path[4200], html[4200];
  Table *t = fm_calloc(1, sizeof *t);
  if (!t)
    return 1;
  snprintf(path, sizeof path, "%s/scenario.csv", outdir);
  int ierr = read_csv(path, t);
  if (ierr) {
    free(t);
    return ierr;
  }
  snprintf(html, sizeof html, "%s/report.html", outdir);
  FILE *fp = fm_open_tmp(html);
  if (!fp) {
    free(t);
    return 1;
  }
  char when[64];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
  fputs(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Femora growth scenario report</title><style>"
      "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
      "padding:3px 8px;text-align:right}th{background:#eee}"
      "td.l,th.l{text-align:left}figure{display:inline-block;margin:0.5em}"
      ".warn{color:#b00;font-weight:bold}</style></head><body>\n",
      fp);
  fprintf(fp,
          "<h1>Growth scenario report</h1>\n<p>Femora %s, written %s, from "
          "<code>",
          FEMORA_VERSION, when);
  fm_xml_text(fp, outdir);
  fputs("</code>.</p>\n", fp);

  /* verdict */
  fputs("<h2>Summary</h2>\n<table><tr><th class=\"l\">material</th><th>min "
        "static "
        "safety</th><th>min fatigue safety</th><th>cumulative damage at the "
        "end</th><th>damage reaches 1 at age</th></tr>\n",
        fp);
  for (int g = 0; g < t->ng; g++) {
    double ms = INFINITY, mf = INFINITY, cum[MAXA];
    for (int a = 0; a < t->na; a++) {
      if (isfinite(t->sstat[g][a]))
        ms = fmin(ms, t->sstat[g][a]);
      if (isfinite(t->sfat[g][a]))
        mf = fmin(mf, t->sfat[g][a]);
    }
    /* as the scenario found it (the CSV's damage to 17 digits) */
    const double fail = fm_scenario_damage(t->na, t->age, t->dyear[g], cum);
    const int assessed = isfinite(ms);
    fputs("<tr><td class=\"l\">", fp);
    fm_xml_text(fp, t->group[g]);
    if (!assessed) {
      fputs("</td><td colspan=\"4\" class=\"l\">not assessed (no fatigue data "
            "in the case)</td></tr>\n",
            fp);
      continue;
    }
    char fa[32];
    if (isnan(fail))
      snprintf(fa, sizeof fa, "not reached");
    else
      snprintf(fa, sizeof fa, "%.2f", fail);
    fprintf(fp,
            "</td><td%s>%.3g</td><td%s>%.3g</td><td%s>%.3g</td><td%s>%s</td></"
            "tr>\n",
            ms < 1 ? " class=\"warn\"" : "", ms,
            mf < 1 ? " class=\"warn\"" : "", mf,
            t->dcum[g][t->na - 1] >= 1 ? " class=\"warn\"" : "",
            t->dcum[g][t->na - 1], isnan(fail) ? "" : " class=\"warn\"", fa);
  }
  fputs("</table>\n<p>Static safety: the factor on the stress to the "
        "material's static criterion (von Mises against the yield strength; "
        "for brittle materials such as bone Coulomb-Mohr against the tension "
        "and compression strengths). Fatigue safety: factor on the stress "
        "cycle for the "
        "design life",
        fp);
  const double total = t->na ? fm_scenario_total(t->na, t->age, t->cycles) : 0;
  if (isfinite(t->design_life))
    fprintf(fp,
            " of %.3g cycles (the case's <code>fatigue.design_life</code>); "
            "the ages hold <span%s>%.3g cycles</span>%s",
            t->design_life, total > t->design_life ? " class=\"warn\"" : "",
            total,
            total > t->design_life
                ? ", more than the design life: the safety factors are not "
                  "those of the whole span (the damage counts every cycle)"
                : "");
  fputs(". Damage: Miner's sum of the largest nodal damage of a year, "
        "taken as linear in time between two ages and added up from the "
        "first age to the last (docs/scenario.md).</p>\n",
        fp);

  /* plots */
  fputs("<h2>Plots</h2>\n", fp);
  fm_svg_plot(fp, "Minimum fatigue safety factor", "age (years)",
              "safety factor", t->na, t->age, t->ng,
              (const char(*)[FM_NAME_MAX])t->group, t->sfat, 0);
  fm_svg_plot(fp, "Minimum static safety factor", "age (years)",
              "safety factor", t->na, t->age, t->ng,
              (const char(*)[FM_NAME_MAX])t->group, t->sstat, 0);
  fm_svg_plot(fp, "Cumulative damage", "age (years)", "Miner damage", t->na,
              t->age, t->ng, (const char(*)[FM_NAME_MAX])t->group, t->dcum, 1);
  fm_svg_plot(fp, "Largest von Mises stress per material", "age (years)",
              "stress", t->na, t->age, t->ng,
              (const char(*)[FM_NAME_MAX])t->group, t->vm, 0);
  {
    static double one[1][MAXA];
    const char nm[1][FM_NAME_MAX] = {"body mass (kg)"};
    memcpy(one[0], t->mass, sizeof one[0]);
    fm_svg_plot(fp, "Body mass", "age (years)", "kg", t->na, t->age, 1, nm, one,
                0);
    const char ne[1][FM_NAME_MAX] = {"extension (mm)"};
    memcpy(one[0], t->ext, sizeof one[0]);
    fm_svg_plot(fp, "Implant extension", "age (years)", "mm", t->na, t->age, 1,
                ne, one, 0);
  }

  /* the table */
  fputs("<h2>Steps</h2>\n<table><tr><th>age</th><th>body mass (kg)</th>"
        "<th>extension (mm)</th><th>cycles in the year</th><th>nodes</th>"
        "<th class=\"l\">material</th><th>max von Mises</th><th>min static "
        "safety</th><th>min fatigue safety</th><th>damage of the year</th>"
        "<th>cumulative damage</th><th>min fatigue safety at (x, y, "
        "z)</th></tr>\n",
        fp);
  for (int a = 0; a < t->na; a++)
    for (int g = 0; g < t->ng; g++) {
      fprintf(fp,
              "<tr><td>%g</td><td>%.2f</td><td>%g</td><td>%.4g</td><td>%d</td>"
              "<td class=\"l\">",
              t->age[a], t->mass[a], t->ext[a], t->cycles[a], t->nodes[a]);
      fm_xml_text(fp, t->group[g]);
      fprintf(fp,
              "</td><td>%.4g</td><td>%.4g</td><td>%.4g</td><td>%.4g</td>"
              "<td>%.4g</td>",
              t->vm[g][a], t->sstat[g][a], t->sfat[g][a], t->dyear[g][a],
              t->dcum[g][a]);
      if (isfinite(t->at[g][a][0]))
        fprintf(fp, "<td>(%.4g, %.4g, %.4g)</td></tr>\n", t->at[g][a][0],
                t->at[g][a][1], t->at[g][a][2]);
      else
        fputs("<td></td></tr>\n", fp);
    }
  fputs("</table>\n", fp);

  /* inputs and their hashes */
  fputs("<h2>Inputs</h2>\n<table><tr><th class=\"l\">input</th><th "
        "class=\"l\">file</th><th class=\"l\">FNV-1a 64 hash</th></tr>\n",
        fp);
  snprintf(path, sizeof path, "%s/inputs.txt", outdir);
  FILE *in = fopen(path, "r");
  char line[4600];
  while (in && fgets(line, sizeof line, in)) {
    char what[64], file[4300], hash[32];
    if (sscanf(line, "%63s %4299s %31s", what, file, hash) != 3)
      continue;
    fputs("<tr><td class=\"l\">", fp);
    fm_xml_text(fp, what);
    fputs("</td><td class=\"l\"><code>", fp);
    fm_xml_text(fp, file);
    fputs("</code></td><td class=\"l\"><code>", fp);
    fm_xml_text(fp, hash);
    fputs("</code></td></tr>\n", fp);
  }
  if (in)
    fclose(in);
  fputs("</table>\n<p>Hashes identify the exact input files (FNV-1a, not a "
        "cryptographic hash). Formulas, material data and their sources: "
        "docs/fatigue.md, materials/fatigue.yaml.</p>\n</body></html>\n",
        fp);
  free(t);
  FM_CALL(fm_close_tmp(fp, html));
  return fm_rename_tmp(html);
}

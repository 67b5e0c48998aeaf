/*
 * Civil dates and ISO 8601 weeks.  A week is numbered linearly by the day
 * number of its Monday divided by 7 (the "week index"), so that "the week
 * before" and "every week from the first to the last" are plain integers.
 */
#ifndef ISOWEEK_H
#define ISOWEEK_H

#include <stdint.h>

int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int days_in_month(int64_t y, int m);

int isoweek_weeks_in_year(int64_t year);
int64_t isoweek_index(int64_t year, int week);
int64_t isoweek_index_of_days(int64_t days);
void isoweek_of_index(int64_t index, int64_t *year, int *week);

#endif

/**
 * The job table: every background job of the service, gathered from the features that own them. Adding
 * a job is one entry in a feature's `jobs.ts`, listed here. The runner (job-runner.ts) works each job in
 * the processes of its role and fires the periodic ones from the scheduler role.
 */
import { casesJobs } from '../cases/jobs.ts';
import { crawlingJobs } from '../crawling/jobs.ts';
import { takedownJobs } from '../takedown/jobs.ts';
import { deliveryJobs } from '../delivery/jobs.ts';
import { monitoringJobs } from '../monitoring/jobs.ts';
import type { JobDef } from './job.ts';

export const JOBS: readonly JobDef[] = [...crawlingJobs, ...casesJobs, ...takedownJobs, ...deliveryJobs, ...monitoringJobs];

/** Roles of API.md. `admin` is the regional operator and belongs to no school. */
export const SCHOOL_ROLES = ['director', 'deputy', 'teacher', 'parent', 'student', 'inspector', 'sysadmin', 'security_officer'] as const;
export type SchoolRole = (typeof SCHOOL_ROLES)[number];
export type Role = SchoolRole | 'admin';

export const isSchoolRole = (value: unknown): value is SchoolRole => typeof value === 'string' && (SCHOOL_ROLES as readonly string[]).includes(value);

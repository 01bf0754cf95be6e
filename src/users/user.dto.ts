import type { UserRole } from '../generated/prisma/client.js';

/** What clients see of a user. Built field by field: the password hash can never leak. */
export interface UserDto {
  id: number;
  email: string;
  name: string;
  role: UserRole;
  createdAt: string;
}

export function toUserDto(user: { id: number; email: string; name: string; role: UserRole; createdAt: Date }): UserDto {
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt.toISOString() };
}

import { SetMetadata } from '@nestjs/common';
import { READ_FROM_PRIMARY } from '../database.constants.js';

/** Every read of this handler (or controller) goes to the primary: for reads that must never be stale. */
export const ReadFromPrimary = () => SetMetadata(READ_FROM_PRIMARY, true);

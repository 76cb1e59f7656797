/*
 * idle.h - idle-time work (kernel/idle.c), run by every CPU's idle loop.
 */
#ifndef LABYRINTH_IDLE_H
#define LABYRINTH_IDLE_H

void idle_work(void);

#endif
